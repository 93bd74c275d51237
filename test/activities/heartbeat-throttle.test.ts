import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeat, HEARTBEAT_EVERY_MS } from '../../activities/run-page.js';

test('progress-free heartbeats reach the SDK at most once per interval; progress details always do', async () => {
  const env = new MockActivityEnvironment();
  const seen: unknown[] = [];
  env.on('heartbeat', (d: unknown) => seen.push(d));
  let clock = 0;
  const now = () => clock;
  await env.run(async () => {
    for (let i = 0; i < 500; i++) heartbeat(undefined, now);
    assert.equal(seen.length, 1, 'a burst of sends heartbeats once');
    clock += HEARTBEAT_EVERY_MS - 1;
    heartbeat(undefined, now);
    assert.equal(seen.length, 1, 'still within the interval');
    clock += 1;
    heartbeat(undefined, now);
    assert.equal(seen.length, 2, 'the next interval heartbeats again');
    heartbeat({ cursor: '42' }, now);
    assert.deepEqual(seen.at(-1), { cursor: '42' }, 'a heartbeat carrying progress is never dropped');
  });
  // A second attempt (a new activity context) is not throttled by the first one's last beat.
  const again = new MockActivityEnvironment();
  let beats = 0;
  again.on('heartbeat', () => beats++);
  await again.run(async () => heartbeat(undefined, now));
  assert.equal(beats, 1);
  // Outside an activity it does nothing and does not throw.
  heartbeat();
});
