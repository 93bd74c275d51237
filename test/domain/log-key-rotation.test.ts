import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogEntry, LogEntryInput } from '../../domain/decision-log.js';
import { logKeyHandoverOf, logKeyRotationEntry } from '../../domain/log-key-rotation.js';

const handover = {
  fromKeyId: 'log-20260101-aaaaaa',
  toKeyId: 'log-20261130-bbbbbb',
  commitment: 'c'.repeat(64),
  actor: 'ops-alice',
};
const stored = (input: ReturnType<typeof logKeyRotationEntry>) =>
  LogEntry.parse({
    ...LogEntryInput.parse(input),
    id: '01J00000000000000000000000',
    seq: 1,
    partition: 0,
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
  });

test('a log key rotation entry is an operator entry whose handover reads back whole', () => {
  const e = stored(logKeyRotationEntry(handover, new Date('2026-11-30T04:00:00.000Z')));
  assert.deepEqual(
    [e.kind, e.outcome, e.stepId, e.reasons],
    ['operator', 'recorded', 'log_key_rotation', ['key_rotated']],
  );
  assert.deepEqual(logKeyHandoverOf(e), handover);
});

test('only a well-formed operator rotation entry reads as a handover', () => {
  const e = stored(logKeyRotationEntry(handover, new Date('2026-11-30T04:00:00.000Z')));
  assert.equal(logKeyHandoverOf({ ...e, kind: 'review' }), null);
  assert.equal(logKeyHandoverOf({ ...e, result: e.result!.replace('commit=', 'commitment=') }), null);
  assert.equal(logKeyHandoverOf({ ...e, stepId: 'send-1' }), null);
});

test('a rotation that would not fit an entry whole is refused rather than truncated', () => {
  assert.throws(
    () =>
      logKeyRotationEntry(
        { ...handover, fromKeyId: 'x'.repeat(64), toKeyId: 'y'.repeat(64), actor: 'a'.repeat(64) },
        new Date(),
      ),
    /does not fit an entry/,
  );
});
