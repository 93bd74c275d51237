import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGuardedSends } from '../../activities/send-pipeline.js';
import { ConsentStore } from '../../infra/redis/consent-store.js';
import { DecisionLogUnavailableError } from '../../infra/redis/decision-log-errors.js';
import { consentEvent } from '../helpers/engine.js';
import { unreachableLog } from '../helpers/unreachable-log.js';
import {
  config,
  crashBeforeCommit,
  entriesOf,
  leaseRunsOut,
  mails,
  path,
  prefix,
  redis,
  services,
  spec,
  subject,
  withLedger,
} from './send-pipeline-fixtures.js';

test('when the decision log cannot be written, nothing is sent and no send is reserved', async () => {
  const { ref, address } = await subject({ first_name: 'Fae' });
  const broken = unreachableLog(config, prefix);
  const s = spec();
  await assert.rejects(
    runGuardedSends({ ...path.deps, appendLog: (e) => broken.log.appendBatch(e) }, s, [ref]),
    DecisionLogUnavailableError,
  );
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  assert.deepEqual(await path.deps.ledger.lookup([{ ref, scope: `${s.workflowId}:${s.stepId}` }]), [undefined]);
  broken.close();
  // The same send with a working log goes out: the fault, not the subject, stopped it.
  const [ok] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(ok?.status, 'sent');
});

test('a withdrawal committed between the decision and the reservation means no send, logged as a re-decision', async () => {
  const { ref, address } = await subject({ first_name: 'Gil' });
  const s = spec();
  // The reservation runs after the allow is logged: land the withdrawal exactly before it.
  const racing = withLedger({
    claim: async (...a: Parameters<typeof path.deps.ledger.claim>) => {
      await services.consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
      return path.deps.ledger.claim(...a);
    },
  });
  const [out] = await runGuardedSends(racing, s, [ref]);
  assert.deepEqual([out?.status, out?.reasons], ['denied', ['consent_changed']]);
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 0);
  const decisions = (await entriesOf(ref)).filter((e) => e.kind === 'decision');
  assert.deepEqual(
    decisions.map((e) => [e.outcome, e.result]),
    [
      ['allow', null],
      ['deny', 'redecided_at_reservation'],
    ],
  );
  assert.equal(decisions[1]!.decisionId, decisions[0]!.id, 'the re-decision names the allow it replaces');
  // A retry of the batch finds the closed record: nothing more is logged or sent.
  const [again] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(again?.status, 'denied');
  assert.equal((await entriesOf(ref)).length, 2);
});

test('a batch retried after its reservation failed to save reuses the logged decision instead of logging another', async () => {
  const { ref, address } = await subject({ first_name: 'Jo' });
  const s = spec();
  let fail = true;
  const flaky = withLedger({
    claim: async (...a: Parameters<typeof path.deps.ledger.claim>) => {
      if (fail) {
        fail = false;
        throw new Error('injected: records not saved');
      }
      return path.deps.ledger.claim(...a);
    },
  });
  await assert.rejects(runGuardedSends(flaky, s, [ref]), /injected/);
  const [out] = await runGuardedSends(flaky, s, [ref]);
  assert.equal(out?.status, 'sent');
  const mine = await entriesOf(ref);
  assert.deepEqual(
    mine.map((e) => `${e.kind}:${e.outcome}`),
    ['decision:allow', 'delivery:sent'],
  );
  assert.equal(mine[1]!.decisionId, mine[0]!.id);
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 1);
});

test('a crash after the SMTP server accepted, before the commit: the retry resends with the same Message-ID and logs one delivery', async () => {
  const { ref, address } = await subject({ first_name: 'Pim' });
  const s = spec();
  await assert.rejects(runGuardedSends(crashBeforeCommit(), s, [ref], { commitPatienceMs: 0 }), /injected/);
  // Until the crashed attempt's lease runs out, a retry cannot tell it from one still sending: it leaves it alone.
  const [early] = await runGuardedSends(path.deps, s, [ref]);
  assert.deepEqual([early?.status, mails(address).length], ['busy', 1]);
  await leaseRunsOut(ref, s);
  const [out] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(out?.status, 'sent');
  const got = mails(address);
  assert.equal(got.length, 2, 'the ambiguous window: at-least-once');
  assert.equal(new Set(got.map((m) => m.messageId)).size, 1, 'with one Message-ID');
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}`),
    ['decision:allow', 'delivery:sent'],
  );
});

test('a send left reserved by a crash is not repeated once consent changed: one failed delivery, consent_changed', async () => {
  const { ref, address } = await subject({ first_name: 'Ola' });
  const s = spec();
  // The crash takes the commit and the delivery entry with it: nothing says whether the message went out.
  const crashed = {
    ...crashBeforeCommit(),
    appendLog: ((e, o) =>
      e.some((x) => x.kind === 'delivery')
        ? Promise.reject(new Error('injected: crash before the append'))
        : path.deps.appendLog(e, o)) as typeof path.deps.appendLog,
  };
  await assert.rejects(runGuardedSends(crashed, s, [ref], { commitPatienceMs: 0 }), /injected/);
  // The crashed sender's reservation would hold the withdrawal's acknowledgement up to 30 s; this store waits less.
  const quick = new ConsentStore({ redis, keys: services.keys, drainTimeoutMs: 50 });
  await quick.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  await leaseRunsOut(ref, s);
  const [out] = await runGuardedSends(path.deps, s, [ref]);
  assert.deepEqual([out?.status, out?.reasons], ['failed', ['consent_changed']]);
  assert.equal(mails(address).length, 1, 'the first attempt only');
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}:${e.result ?? ''}`),
    ['decision:allow:', 'delivery:failed:not_resent_after_consent_change'],
  );
  const [again] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(again?.status, 'failed');
  assert.equal((await entriesOf(ref)).length, 2);
});

test('an accepted message whose commit fails briefly is committed once the ledger answers again: no resend', async () => {
  const { ref, address } = await subject({ first_name: 'Quin' });
  let failures = 3;
  const blip = withLedger({
    settle: async (...a: never[]) =>
      failures-- > 0
        ? Promise.reject(new Error('injected: Redis away'))
        : path.deps.ledger.settle(...(a as unknown as Parameters<typeof path.deps.ledger.settle>)),
  });
  const [out] = await runGuardedSends(blip, spec(), [ref]);
  assert.equal(out?.status, 'sent');
  assert.equal(mails(address).length, 1);
});

test('a commit that never succeeds gives up after its patience in attempts, even under a frozen clock', async () => {
  const { ref, address } = await subject({ first_name: 'Ike' });
  const frozen = new Date();
  let attempts = 0;
  const stuck = {
    ...withLedger({ settle: async () => ((attempts += 1), Promise.reject(new Error('injected: Redis away'))) }),
    now: () => frozen,
    sleep: async () => {},
  };
  await assert.rejects(runGuardedSends(stuck, spec(), [ref], { commitPatienceMs: 1_000 }), /Redis away/);
  assert.equal(attempts, 4, 'one attempt per 250 ms of patience');
  assert.equal(mails(address).length, 1, 'the message went out once; the retry of the batch resends it');
});

test('a crash before the commit whose delivery entry landed is settled as sent on the retry, even after consent changed', async () => {
  const { ref, address } = await subject({ first_name: 'Uma' });
  const s = spec();
  await assert.rejects(runGuardedSends(crashBeforeCommit(), s, [ref], { commitPatienceMs: 0 }), /injected/);
  const quick = new ConsentStore({ redis, keys: services.keys, drainTimeoutMs: 50 });
  await quick.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  await leaseRunsOut(ref, s);
  const [out] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(out?.status, 'sent', 'the SMTP server accepted it, and the log says so');
  assert.equal(mails(address).length, 1, 'not sent again after the withdrawal');
  assert.deepEqual(
    (await entriesOf(ref)).map((e) => `${e.kind}:${e.outcome}:${e.result ?? ''}`),
    ['decision:allow:', 'delivery:sent:accepted'],
  );
});
