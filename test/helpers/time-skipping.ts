import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LoadedDataConverter } from '@temporalio/common';
import { freePort, portInUse, spawnService, waitUntil, type ManagedProcess } from '../../infra/embedded/process.js';

type Create = (o: {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: true;
  client?: { dataConverter?: unknown };
}) => Promise<TestWorkflowEnvironment>;

/** A time-skipping environment on a test server this process starts and stops by PID. */
export interface TimeSkipping {
  readonly env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/**
 * Starts the Java time-skipping server and connects to it as a time-skipping environment.
 * `createTimeSkipping` gives the JVM a fixed 5 s to listen (hard-coded in sdk-core), which a loaded machine misses;
 * here start-up is bounded by our own wait, and the SDK's (pinned) internal `create` connects with the test service on.
 */
export async function startTimeSkipping(
  launcher: string,
  dataConverter?: LoadedDataConverter | object,
): Promise<TimeSkipping> {
  const port = await freePort();
  const proc: ManagedProcess = spawnService('temporal test server', launcher, [String(port)]);
  try {
    await waitUntil('the Temporal time-skipping test server', () => portInUse(port), 120_000, proc);
    const create = (TestWorkflowEnvironment as unknown as { create: Create }).create.bind(TestWorkflowEnvironment);
    const env = await create({
      server: { type: 'existing' },
      address: `127.0.0.1:${port}`,
      namespace: 'default',
      supportsTimeSkipping: true,
      client: { dataConverter },
    });
    return {
      env,
      stop: async () => {
        await env.teardown();
        await proc.stop();
      },
    };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}
