// `npm run demo`: the main job on embedded services, end to end, printing where the results landed.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildConfig, parseEnv } from '../infra/config.js';
import { loadDevKeys } from '../infra/dev-keys.js';
import { startStack } from '../infra/embedded/stack.js';
import { connectClient } from '../infra/temporal/connection.js';
import { installRuntime } from '../infra/temporal/runtime.js';
import { startWorker } from '../worker.js';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.CONSENTFLOW_DATA_DIR ?? '.data/demo');
  // Each demo run starts from an empty store so its output is reproducible; keys are kept.
  for (const d of ['redis', 'outbox']) rmSync(join(dataDir, d), { recursive: true, force: true });
  const env = parseEnv({ ...process.env, CONSENTFLOW_DATA_DIR: dataDir });
  const config = buildConfig(env, loadDevKeys(dataDir, true));
  installRuntime();
  const t0 = Date.now();
  const stack = await startStack(env, { persistent: false });
  console.log(`services up in ${((Date.now() - t0) / 1000).toFixed(1)}s: redis ${stack.redis.url} (${stack.redis.source}), temporal ${stack.temporal.address} (${stack.temporal.source}), smtp ${stack.smtpUrl}`);
  const running = await startWorker(config, { redisUrl: stack.redis.url, temporalAddress: stack.temporal.address, smtpUrl: stack.smtpUrl });
  const client = await connectClient(config, stack.temporal.address);
  try {
    const result = await client.workflow.execute('connectivityCheck', {
      taskQueue: config.taskQueue,
      workflowId: `demo-connectivity-${Date.now()}`,
      args: [{ to: 'demo.subject@example.org', subject: 'consentflow demo' }],
    });
    const eml = stack.sink?.received.at(-1)?.file;
    console.log(`workflow delivered message ${result.messageId}`);
    console.log(eml ? `delivered .eml: ${eml}` : `delivered through ${stack.smtpUrl}`);
  } finally {
    await client.connection.close();
    await running.shutdown();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`demo failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
