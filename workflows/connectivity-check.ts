import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ConnectivityInput } from '../activities/connectivity.js';

const { writeAndSendCheck } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/** Runs one activity that touches Redis and SMTP: proof that the three services work together. */
export async function connectivityCheck(input: ConnectivityInput): Promise<{ messageId: string; redisKey: string }> {
  return writeAndSendCheck(input);
}
