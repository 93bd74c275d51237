import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runGuardedSends, type SendSpec } from '../../activities/send-pipeline.js';
import { compilePolicy, type PolicyBundle } from '../../domain/policy.js';
import { policy } from '../../policy/index.js';
import { consentEvent } from '../helpers/engine.js';
import { newsletterSpec, sendPath } from '../helpers/send-path.js';
import { uniqueId } from '../helpers/services.js';

// A send step resumed from its ledger record uses the fields its decision of record released, on real Redis and SMTP.
// A later policy that moves the email channel to another address field: a recomputed decision would release it.
const moved: PolicyBundle = {
  ...policy,
  subjectFields: [
    ...policy.subjectFields,
    { name: 'work_email', type: 'email', category: 'contact', labels: { en: 'Work email', 'zh-CN': '工作邮箱' } },
  ],
  channelAddressField: { ...policy.channelAddressField, email: 'work_email' },
  processors: policy.processors.map((p) => (p.id === 'smtp-relay' ? { ...p, fields: [...p.fields, 'work_email'] } : p)),
};
const path = sendPath('resume', moved);
const { redis, services } = path;

const spec = (): SendSpec => newsletterSpec();
const laterPolicy = compilePolicy(moved, 'later');

async function subject() {
  const email = `${uniqueId('home')}@example.org`;
  const work = `${uniqueId('work')}@example.org`;
  const r = await services.subjects.upsert(uniqueId('s'), { email, work_email: work, first_name: 'Rhea' });
  if (r.status !== 'written') throw new Error('seed refused');
  await services.consent.append(consentEvent(r.ref, { purpose: 'marketing.email.newsletter' }));
  return { ref: r.ref, email, work };
}

async function entriesOf(ref: string) {
  const out = [];
  for await (const e of services.log.query({ subjectRef: ref as never })) out.push(e);
  return out;
}

/** The first attempt decides under the shipped policy and is deferred (451), leaving the decided record to resume. */
async function decidedThenDeferred(s: SendSpec, email: string, ref: Awaited<ReturnType<typeof subject>>['ref']) {
  path.sink.failRecipients((a) => a === email, 451, '4.2.0 try again later', 1);
  const [first] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(first?.status, 'deferred');
}

test('a send resumed after the policy changed its released fields reads and renders only the fields its decision of record released', async () => {
  const { ref, email, work } = await subject();
  const s = spec();
  await decidedThenDeferred(s, email, ref);
  const [out] = await runGuardedSends({ ...path.deps, policy: () => laterPolicy }, s, [ref]);
  assert.equal(out?.status, 'sent');
  assert.equal(
    path.sink.received.filter((m) => m.envelopeTo.includes(work)).length,
    0,
    'the field the later policy would release is never read',
  );
  const got = path.sink.received.filter((m) => m.envelopeTo.includes(email));
  assert.equal(got.length, 1, 'sent to the address the logged decision released');
  const eml = readFileSync(got[0]!.file, 'utf8');
  assert.match(eml, /Rhea/);
  assert.ok(!eml.includes(work), 'no unreleased value in the message');
  const entries = await entriesOf(ref);
  assert.deepEqual(
    entries.map((e) => `${e.kind}:${e.outcome}`),
    ['decision:allow', 'delivery:sent'],
  );
  assert.deepEqual([...entries[0]!.fieldsReleased].sort(), ['email', 'first_name']);
});

test('a decided record written before released fields were kept is decided again, explicitly, before anything is sent', async () => {
  const { ref, email, work } = await subject();
  const s = spec();
  await decidedThenDeferred(s, email, ref);
  // The record as an earlier version wrote it: no released fields, no address field.
  const key = path.deps.ledger.key(ref, `${s.workflowId}:${s.stepId}`);
  const {
    fieldsReleased: _f,
    addressField: _a,
    ...old
  } = JSON.parse((await redis.get(key))!) as Record<string, unknown>;
  assert.ok(_f && _a, 'the current record keeps both');
  await redis.set(key, JSON.stringify(old), 'PX', 3_600_000);
  const [out] = await runGuardedSends({ ...path.deps, policy: () => laterPolicy }, s, [ref]);
  assert.equal(out?.status, 'sent');
  const entries = await entriesOf(ref);
  assert.deepEqual(
    entries.map((e) => `${e.kind}:${e.outcome}:${e.result ?? ''}`),
    ['decision:allow:', 'decision:allow:redecided_fields_not_recorded', 'delivery:sent:accepted'],
  );
  assert.equal(entries[1]!.decisionId, entries[0]!.id, 'the re-decision names the decision it replaces');
  assert.deepEqual(
    [...entries[1]!.fieldsReleased].sort(),
    ['first_name', 'work_email'],
    'decided under the policy in force',
  );
  assert.equal(entries[2]!.decisionId, entries[1]!.id);
  assert.equal(
    path.sink.received.filter((m) => m.envelopeTo.includes(work)).length,
    1,
    'sent as the new decision released',
  );
  assert.equal(path.sink.received.filter((m) => m.envelopeTo.includes(email)).length, 0);
});
