import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { registerConsentCommands } from '../../cli/consent.js';
import { registerGuardCommands } from '../../cli/guard.js';
import { subjectRefOf, subjectStores } from '../../cli/subject-stores.js';
import { policy } from '../../policy/index.js';
import { createServices } from '../../infra/compose.js';
import type { Decision } from '../../domain/guard.js';
import { type ReasonCode, reasonOrder } from '../../domain/reasons.js';
import { loadPolicy } from '../../infra/policy-loader.js';
import { consentEvent } from '../helpers/consent-fixtures.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const { redis, prefix } = testRedis();
const ctx = testCliContext(redis, prefix);
const stores = await subjectStores(ctx);
const cli = (...args: string[]) => runCli(ctx, [registerConsentCommands, registerGuardCommands], args);
const newsletter = ['--purpose', 'marketing.email.newsletter', '--channel', 'email'];

async function check(id: string, ...args: string[]): Promise<Decision> {
  const r = await cli('guard', 'check', '--subject', id, ...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Decision;
}
const reasons = (d: Decision) => (d.outcome === 'deny' ? d.reasons : []);
const seen = new Set<ReasonCode>();
const expectDeny = (d: Decision, ...codes: ReasonCode[]) => {
  assert.equal(d.outcome, 'deny');
  for (const c of codes) assert.ok(reasons(d).includes(c), `expected ${c} in ${reasons(d).join(',')}`);
  reasons(d).forEach((c) => seen.add(c));
};
const grant = async (id: string, ...args: string[]) =>
  assert.equal((await cli('consent', 'grant', '--subject', id, '--reason', 'ticket T-1', ...args)).code, 0);

test('allows with a current consent, releasing exactly the requested fields plus the address', async () => {
  const id = uniqueId('ok');
  await grant(id, ...newsletter);
  const d = await check(id, ...newsletter, '--fields', 'first_name');
  assert.equal(d.outcome, 'allow');
  assert.deepEqual([d.fieldsReleased, d.fieldsWithheld, d.processor], [['first_name', 'email'], [], 'smtp-relay']);
  assert.equal(d.policyVersion, loadPolicy(policy).version);
  const human = await cli('guard', 'check', '--subject', id, ...newsletter, '--fields', 'first_name');
  assert.match(human.stdout, /^ALLOW {2}marketing\.email\.newsletter via email to smtp-relay/);
});

test('explains each consent-based denial', async () => {
  const fresh = uniqueId('none');
  assert.deepEqual(reasons(await check(fresh, ...newsletter)), ['no_consent']);
  seen.add('no_consent');

  const w = uniqueId('w');
  await grant(w, ...newsletter);
  await cli('consent', 'withdraw', '--subject', w, ...newsletter);
  expectDeny(await check(w, ...newsletter), 'consent_withdrawn');

  const e = uniqueId('e');
  await cli('consent', 'expire', '--subject', e, ...newsletter);
  expectDeny(await check(e, ...newsletter), 'consent_expired');

  const p = uniqueId('p');
  await grant(p, ...newsletter, '--pending');
  expectDeny(await check(p, ...newsletter), 'consent_pending');
  await cli('consent', 'reconfirm', '--subject', p, '--reason', 'ticket T-1', ...newsletter);
  assert.equal((await check(p, ...newsletter)).outcome, 'allow');

  const o = uniqueId('o');
  await grant(o, ...newsletter, '--notice-version', '1');
  expectDeny(await check(o, ...newsletter), 'notice_outdated');

  const u = uniqueId('u');
  await stores.consent.append(
    consentEvent(subjectRefOf({ subject: u }, ctx), { noticeVersion: 3, noticeHash: 'f'.repeat(64), id: ulid() }),
  );
  expectDeny(await check(u, ...newsletter), 'notice_unknown');

  const l = uniqueId('l');
  await grant(l, '--purpose', 'marketing.email', '--channel', 'email');
  expectDeny(await check(l, '--purpose', 'marketing.email.reengagement', '--channel', 'email'), 'legal_basis_mismatch');

  const s = uniqueId('sep');
  await grant(s, '--purpose', 'marketing.email', '--channel', 'email');
  expectDeny(
    await check(s, '--purpose', 'sharing.third_party.ads', '--channel', 'email'),
    'separate_consent_missing',
    'no_consent',
  );
});

test('explains policy, processor and field denials', async () => {
  const id = uniqueId('pol');
  await grant(id, ...newsletter);
  expectDeny(await check(id, '--purpose', 'marketing.nope', '--channel', 'email'), 'purpose_unknown');
  expectDeny(await check(id, '--purpose', 'marketing.email.newsletter', '--channel', 'sms'), 'channel_not_allowed');
  expectDeny(await check(id, ...newsletter, '--processor', 'nope'), 'processor_unknown');
  expectDeny(await check(id, ...newsletter, '--processor', 'sms-gateway'), 'processor_not_authorized');
  expectDeny(await check(id, ...newsletter, '--processor', 'legacy-esp'), 'processor_agreement_expired');
  const f = await check(id, ...newsletter, '--fields', 'first_name,health_interest');
  expectDeny(f, 'field_not_allowed');
  assert.deepEqual(f.outcome === 'deny' && f.fieldsNotAllowed, ['health_interest']);
  assert.deepEqual([f.fieldsReleased, f.fieldsWithheld], [[], ['first_name', 'health_interest', 'email']]);
});

test('explains subject-level denials: suppression, erasure, personalisation off', async () => {
  const sup = uniqueId('sup');
  await grant(sup, ...newsletter);
  await stores.consent.suppress(subjectRefOf({ subject: sup }, ctx), 'unsubscribe_all', 'one_click');
  expectDeny(await check(sup, ...newsletter), 'suppressed');

  const er = uniqueId('er');
  await grant(er, ...newsletter);
  await stores.subjects.upsert(er, { email: `${er}@example.com` });
  await stores.subjects.erase(subjectRefOf({ subject: er }, ctx), 'dsar');
  expectDeny(await check(er, ...newsletter), 'subject_erased', 'suppressed');

  const pers = uniqueId('pers');
  await grant(pers, '--purpose', 'marketing.personalized', '--channel', 'email');
  assert.equal((await check(pers, '--purpose', 'marketing.personalized', '--channel', 'email')).outcome, 'allow');
  await stores.consent.setPersonalisation(subjectRefOf({ subject: pers }, ctx), 'off');
  expectDeny(await check(pers, '--purpose', 'marketing.personalized', '--channel', 'email'), 'personalisation_off');
});

test('explains jurisdiction denials: legal basis, guardian, cross-border transfer, unknown jurisdiction', async () => {
  const cn = ['--jurisdiction', 'CN', '--language', 'zh-CN'];
  const reengage = ['--purpose', 'marketing.email.reengagement', '--channel', 'email'];
  const soft = uniqueId('soft');
  await grant(soft, ...reengage, ...cn);
  expectDeny(await check(soft, ...reengage), 'jurisdiction_not_offered', 'legal_basis_not_permitted');

  const x = uniqueId('xb');
  await grant(x, ...newsletter, ...cn);
  expectDeny(await check(x, ...newsletter), 'cross_border_consent_missing');
  await grant(x, '--purpose', 'transfer.overseas.smtp_relay', '--channel', 'email', ...cn);
  assert.equal((await check(x, ...newsletter)).outcome, 'allow');
  expectDeny(await check(x, ...newsletter, '--processor', 'legacy-esp'), 'cross_border_transfer_not_permitted');
  await cli(
    'consent',
    'withdraw',
    '--subject',
    x,
    '--purpose',
    'transfer.overseas.smtp_relay',
    '--channel',
    'email',
    ...cn,
  );
  expectDeny(await check(x, ...newsletter), 'cross_border_consent_missing');

  // The birth year comes from the profile store: a child's own grant is not enough, the guardian's is.
  const m = uniqueId('minor');
  await stores.subjects.upsert(m, { email: `${m}@example.com`, birth_year: String(new Date().getUTCFullYear() - 12) });
  await grant(m, ...newsletter);
  expectDeny(await check(m, ...newsletter), 'guardian_consent_missing');
  await grant(m, ...newsletter, '--given-by', 'guardian');
  assert.equal((await check(m, ...newsletter)).outcome, 'allow');
  await stores.subjects.upsert(m, { birth_year: '1990' });
  await grant(m, ...newsletter);
  assert.equal((await check(m, ...newsletter)).outcome, 'allow', 'an adult answers for themselves');
  const bad = await cli(
    'consent',
    'grant',
    '--subject',
    m,
    ...newsletter,
    '--reason',
    'ticket T-1',
    '--given-by',
    'parent',
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--given-by "parent" must be subject or guardian/);

  const unknown = uniqueId('unk');
  await grant(unknown, ...newsletter, '--jurisdiction', 'BR');
  expectDeny(
    await check(unknown, ...newsletter),
    'age_unknown',
    'cross_border_transfer_not_permitted',
    'cross_border_consent_missing',
  );
});

test('fails closed with state_unavailable when Redis cannot be reached', async () => {
  const dead = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
  dead.on('error', () => {});
  const deadCtx = { ...ctx, redis: () => dead, services: async () => createServices(ctx.config(), dead, policy) };
  const r = await runCli(
    deadCtx,
    [registerGuardCommands],
    ['guard', 'check', '--subject', uniqueId('x'), ...newsletter, '--json'],
  );
  dead.disconnect();
  assert.equal(r.code, 0);
  const d = JSON.parse(r.stdout) as Decision & { loadError?: string };
  expectDeny(d, 'state_unavailable');
  assert.ok(d.loadError);
});

test('guard check writes nothing', async () => {
  const before = (await redis.keys(`${prefix}*`)).sort();
  await check(uniqueId('ro'), ...newsletter, '--fields', 'first_name');
  assert.deepEqual((await redis.keys(`${prefix}*`)).sort(), before);
});

test('every reason code is reachable through guard check', () => {
  assert.deepEqual(
    reasonOrder.filter((c) => !seen.has(c)),
    [],
  );
});
