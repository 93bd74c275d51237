import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry } from '@temporalio/worker';
import { createLogger, scrubText } from '../../../infra/logging.js';
import { pinoSink } from '../../../infra/temporal/runtime.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'consentflow-worker',
    level: 'debug',
    destination: { write: (s: string) => void lines.push(s) },
  });
  return { lines, logger };
}
const entry = (level: LogEntry['level'], message: string, meta?: Record<string, unknown>): LogEntry => ({
  level,
  message,
  timestampNanos: 0n,
  ...(meta ? { meta } : {}),
});

test('scrubText replaces email addresses and international numbers in free text, and leaves pseudonyms and ids alone', () => {
  assert.equal(scrubText('550 5.1.1 <ann.lee+x@mail.example.org>: rejected'), '550 5.1.1 <[email]>: rejected');
  assert.equal(scrubText('submit to +86 138 0013 8000 failed'), 'submit to [phone] failed');
  const ids = 'journey:c-01m8nmny7q:sr_QoMtQFqPp3d-Z8cu8b6vW_ attempt 3 at 1796022679160';
  assert.equal(scrubText(ids), ids);
});

test('runtime entries reach pino as JSON: metadata as fields, the error under err, addresses scrubbed and personal keys redacted', () => {
  const { lines, logger } = capture();
  const sink = pinoSink(logger, () => 0);
  sink(
    entry('WARN', 'Activity failed', {
      activityType: 'sendStep',
      workflowId: 'journey:c:sr_QoMtQFqPp3d-Z8cu8b6vW_',
      error: new Error("Can't send mail - all recipients were rejected: 550 <bob@example.org>"),
      to: 'bob@example.org',
    }),
  );
  sink(entry('DEBUG', 'Activity completed', { workflowId: 'journey:c:sr_AAAAAAAAAAAAAAAAAAAAAA' }));
  sink(entry('DEBUG', 'Activity completed', { workflowId: 'journey:c:sr_BBBBBBBBBBBBBBBBBBBBBB' }));
  const [failed, ...done] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(failed!.level, 40);
  assert.equal(failed!.msg, 'Activity failed');
  assert.equal(failed!.activityType, 'sendStep');
  assert.equal(failed!.to, '[redacted]');
  assert.match(String((failed!.err as { message: string }).message), /rejected: 550 <\[email\]>$/);
  assert.ok(!lines.join('').includes('bob@example.org'));
  assert.deepEqual(
    done.map((d) => d.workflowId),
    ['journey:c:sr_AAAAAAAAAAAAAAAAAAAAAA', 'journey:c:sr_BBBBBBBBBBBBBBBBBBBBBB'],
    'routine lines are never collapsed',
  );
});

test('a repeated failure is written once per minute, with the count of repeats on the next one', () => {
  const { lines, logger } = capture();
  let now = 0;
  const sink = pinoSink(logger, () => now);
  const failure = entry('WARN', 'Activity failed', { error: new Error('connect ECONNREFUSED 127.0.0.1:6379') });
  for (let i = 0; i < 5; i++) sink(failure);
  now = 61_000;
  sink(failure);
  const out = lines.map((l) => JSON.parse(l) as { repeats?: number });
  assert.deepEqual(
    out.map((o) => o.repeats),
    [undefined, 4],
  );
});
