// What an allow must be able to justify, checked against the inputs independently of decide().
import assert from 'node:assert/strict';
import type { GuardState } from '../../domain/consent-state.js';
import type { Decision, GuardRequest } from '../../domain/guard.js';
import { purposeAncestors } from '../../domain/purpose-id.js';
import type { ConsentEvent } from '../../domain/consent.js';
import type { Processor, Purpose } from '../../domain/policy.js';
import { policy } from '../../policy/index.js';

/** Checks, independently of decide(), every piece an allow needs. */
export function assertAllowIsJustified(req: GuardRequest, s: GuardState, d: Decision, now: Date): void {
  assert.equal(s.loadError, undefined);
  assert.equal(s.erased, false);
  assert.ok(!s.suppressions.some((x) => x.channel === undefined || x.channel === req.channel));
  const purpose = policy.purposes.find((p) => p.id === req.purpose);
  const proc = policy.processors.find((p) => p.id === req.processor);
  assert.ok(purpose && proc, 'purpose and processor are known');
  assert.ok((purpose.channels as string[]).includes(req.channel));
  assert.ok(proc.purposes.includes(purpose.id) && proc.agreementId !== undefined);
  assert.ok(
    Date.parse(proc.agreementValidFrom ?? '') <= now.getTime() &&
      now.getTime() < Date.parse(proc.agreementValidUntil ?? ''),
  );
  const address = policy.channelAddressField[req.channel as 'email' | 'sms'];
  assert.ok(d.fieldsReleased.includes(address));
  for (const f of d.fieldsReleased)
    assert.ok((f === address || purpose.allowedFields.includes(f)) && proc.fields.includes(f), f);
  if (purpose.personalised) assert.equal(s.personalisation, 'on');
  const own = s.consent[`${purpose.id}|${req.channel}`];
  const exactOnly = purpose.separateConsent || purpose.sensitive || purpose.allowedFields.includes('health_interest');
  const candidates = [
    own,
    ...(exactOnly ? [] : purposeAncestors(purpose.id).map((a) => s.consent[`${a}|${req.channel}`])),
  ];
  const relied = candidates.find((e) => e !== undefined);
  assert.ok(relied, 'a consent event exists');
  assert.equal(relied.id, d.consentEventId);
  assert.ok(relied.type === 'granted' || relied.type === 'reconfirmed');
  assert.notEqual(relied.pending, true);
  assert.equal(relied.legalBasis, purpose.legalBasis);
  assert.ok(
    relied.noticeVersion >= purpose.minNoticeVersion &&
      relied.noticeVersion >= (now >= new Date('2025-06-01T00:00:00Z') ? 3 : 1),
  );
  assertJurisdictionAllows(relied, purpose, proc, req.channel, s, now);
}

/** The jurisdiction rules, restated from the shipped table rather than through the compiled policy. */
export function assertJurisdictionAllows(
  e: ConsentEvent,
  purpose: Purpose,
  proc: Processor,
  channel: string,
  s: GuardState,
  now: Date,
): void {
  const rule = policy.jurisdictions.find(
    (r) => r.code === e.jurisdiction || r.includes.includes(e.jurisdiction) || r.code === e.jurisdiction.slice(0, 2),
  );
  assert.ok(
    rule,
    `an unknown jurisdiction (${e.jurisdiction}) never allows: every processor is abroad and no mechanism names it`,
  );
  if (purpose.jurisdictions) assert.ok(purpose.jurisdictions.includes(rule.code));
  assert.ok(rule.marketingBases.includes(purpose.legalBasis));
  const age = rule.guardianAgeByCode[e.jurisdiction] ?? rule.guardianConsentUnderAge;
  const minor = s.birthYear !== undefined && now.getUTCFullYear() - s.birthYear - 1 < age;
  if (minor) assert.equal(e.givenBy, 'guardian');
  const procRule = policy.jurisdictions.find((r) => r.code === proc.region || r.includes.includes(proc.region));
  if (procRule?.code === rule.code) return;
  if (rule.transferAbroad.mechanismRequired) {
    assert.ok(
      proc.transferMechanisms?.some(
        (m) =>
          m.from === rule.code && Date.parse(m.validFrom) <= now.getTime() && now.getTime() < Date.parse(m.validUntil),
      ),
    );
  }
  if (rule.transferAbroad.separateConsent) {
    const tp = policy.purposes.find((x) => x.transferTo === proc.id);
    const t = tp && s.consent[`${tp.id}|${channel}`];
    assert.ok(
      t && (t.type === 'granted' || t.type === 'reconfirmed') && t.pending !== true,
      'a live cross-border consent',
    );
    assert.ok(
      policy.notices.find((n) => n.contentHash === t.noticeHash)?.overseasRecipients?.includes(proc.id),
      'under a notice naming the recipient',
    );
    if (minor) assert.equal(t.givenBy, 'guardian');
  }
}
