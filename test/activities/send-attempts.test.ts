import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGuardedSends, type SendSpec } from '../../activities/send-pipeline.js';
import type { Mailer } from '../../infra/smtp/transport.js';
import { newsletterMembers, newsletterSpec, sendPath } from '../helpers/send-path.js';

// Two attempts of one chunk at once, as when Temporal retries an attempt it timed out while the worker still runs
// it: real Redis, a real SMTP sink, the worker's own deps. Each member must get one message, not one per attempt.
const path = sendPath('attempts');
const { services } = path;

const spec = (): SendSpec => newsletterSpec();

const members = (n: number) => newsletterMembers(services, n);

/** The real mailer, holding every send until `release()` once `n` sends have reached it (reserved, not yet out). */
function heldMailer(real: Mailer, n: number) {
  let reached = 0;
  let allHeld!: () => void;
  let release!: () => void;
  const held = new Promise<void>((r) => (allHeld = r));
  const released = new Promise<void>((r) => (release = r));
  const mailer: Mailer = {
    async send(m) {
      if (++reached === n) allHeld();
      await released;
      return real.send(m);
    },
    close: () => {},
  };
  return { mailer, held, release };
}

const mailsTo = (address: string) => path.sink.received.filter((m) => m.envelopeTo.includes(address));

test('a second attempt of a chunk while the first still sends it leaves the first one’s reservations alone: one message each', async () => {
  const people = await members(5);
  const refs = people.map((p) => p.ref);
  const s = spec();
  const first = heldMailer(path.mailer, refs.length);
  const running = runGuardedSends({ ...path.deps, mailer: first.mailer }, s, refs);
  await first.held;
  // The retry runs start to finish while every member is reserved by the first attempt and its SMTP send pending.
  const second = await runGuardedSends(path.deps, s, refs);
  first.release();
  const firstOut = await running;
  for (const p of people) {
    const got = mailsTo(p.address);
    assert.equal(got.length, 1, `one message to each member, got ${got.length}`);
    assert.ok(got[0]!.messageId);
  }
  assert.deepEqual(
    second.map((o) => o.status),
    refs.map(() => 'busy'),
    'a live reservation of another attempt is not resumed',
  );
  assert.deepEqual(
    firstOut.map((o) => o.status),
    refs.map(() => 'sent'),
  );
  // A later attempt (the run's sweep) finds them all committed: nothing more goes out.
  const third = await runGuardedSends(path.deps, s, refs);
  assert.deepEqual(
    third.map((o) => o.status),
    refs.map(() => 'sent'),
  );
  for (const p of people) assert.equal(mailsTo(p.address).length, 1);
});

test('an attempt Temporal has timed out or cancelled sends nothing more and hands its reservations back', async () => {
  const [p] = await members(1);
  const s = spec();
  const gone = new AbortController();
  gone.abort(new Error('attempt timed out'));
  await assert.rejects(runGuardedSends(path.deps, s, [p!.ref], { signal: gone.signal }), /attempt timed out/);
  assert.equal(mailsTo(p!.address).length, 0);
  const [rec] = await path.deps.ledger.lookup([{ ref: p!.ref, scope: `${s.workflowId}:${s.stepId}` }]);
  assert.equal(rec?.state, 'decided', 'released at once, not left for its lease to run out');
  assert.deepEqual(await path.deps.ledger.leased([{ ref: p!.ref, scope: `${s.workflowId}:${s.stepId}` }]), [false]);
  const [out] = await runGuardedSends(path.deps, s, [p!.ref]);
  assert.equal(out?.status, 'sent');
  assert.equal(mailsTo(p!.address).length, 1);
});

test('an attempt that stalled between its reservation and the SMTP send for half the lease does not send', async () => {
  const [p] = await members(1);
  const s = spec();
  // Each reading of this clock is twenty seconds on: the reservation is already old when the send would start.
  let t = Date.now();
  const stalled = { ...path.deps, now: () => new Date((t += 20_000)) };
  const [out] = await runGuardedSends(stalled, s, [p!.ref]);
  assert.deepEqual([out?.status, mailsTo(p!.address).length], ['busy', 0]);
  const [again] = await runGuardedSends(path.deps, s, [p!.ref]);
  assert.deepEqual([again?.status, mailsTo(p!.address).length], ['sent', 1]);
});
