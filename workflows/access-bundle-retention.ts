import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

/** One access bundle to delete when its retention window ends: ids only. */
export interface AccessBundleRetentionInput {
  readonly v: 1;
  readonly subjectRef: string;
  readonly bundleId: string;
  readonly retentionMs: number;
}

const { deleteAccessBundle } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '10 minutes' },
});

/** Deletes an undelivered access bundle after the retention window: plaintext personal data must not wait on disk forever. */
export async function accessBundleRetention(input: AccessBundleRetentionInput): Promise<void> {
  await sleep(input.retentionMs);
  await deleteAccessBundle({ subjectRef: input.subjectRef, bundleId: input.bundleId });
}
