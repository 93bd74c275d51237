import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { channels } from '../../domain/channel.js';
import { decide, ReasonCode, reasonOrder } from '../../domain/guard.js';
import { policy } from '../../policy/index.js';
import { compiled, event, NOW, request, state } from './guard-fixtures.js';
import { arbCase, arbNow, arbRequest, arbScenario } from './guard-arbitraries.js';
import { assertAllowIsJustified } from './guard-invariants.js';

test('decide never allows unless every required piece is present and valid', () => {
  fc.assert(
    fc.property(arbCase, ([req, s, now]) => {
      const d = decide(req, s, compiled, now);
      if (d.outcome === 'allow') assertAllowIsJustified(req, s, d, now);
    }),
    { numRuns: 3000 },
  );
});

test('a deny lists unique reasons in precedence order and releases nothing', () => {
  fc.assert(
    fc.property(arbCase, ([req, s, now]) => {
      const d = decide(req, s, compiled, now);
      if (d.outcome === 'allow') return;
      assert.ok(d.reasons.length > 0);
      const ranks = d.reasons.map((r) => reasonOrder.indexOf(r));
      assert.deepEqual(
        ranks,
        [...new Set(ranks)].sort((a, b) => a - b),
      );
      assert.deepEqual(d.fieldsReleased, []);
      assert.deepEqual(d.fieldsWithheld, d.fieldsRequested);
    }),
    { numRuns: 2000 },
  );
});

test('decide is deterministic for equal inputs', () => {
  fc.assert(
    fc.property(arbCase, ([req, s, now]) => {
      assert.deepEqual(
        decide(req, s, compiled, now),
        decide(structuredClone(req), structuredClone(s), compiled, new Date(now.getTime())),
      );
    }),
    { numRuns: 1000 },
  );
});

test('the scenario generator produces allows as well as denies', () => {
  const outcomes = new Set(fc.sample(arbScenario, 300).map(([req, s, now]) => decide(req, s, compiled, now).outcome));
  assert.deepEqual([...outcomes].sort(), ['allow', 'deny']);
});

test('a subject with no consent events is never sent anything', () => {
  fc.assert(
    fc.property(arbRequest, arbNow, (req, now) => assert.equal(decide(req, state(), compiled, now).outcome, 'deny')),
    { numRuns: 1000 },
  );
});

test('granting one channel never implies another, for every purpose', () => {
  for (const p of policy.purposes) {
    for (const granted of channels) {
      for (const asked of channels) {
        if (asked === granted) continue;
        const s = state([event({ purpose: p.id, channel: granted, legalBasis: p.legalBasis })]);
        const d = decide(request({ purpose: p.id, channel: asked, fields: [] }), s, compiled, NOW);
        assert.equal(d.outcome, 'deny', `${p.id}: ${granted} grant allowed ${asked}`);
        if (d.outcome === 'deny')
          assert.ok(d.reasons.includes(ReasonCode.no_consent), `${p.id} ${granted}→${asked}: ${d.reasons.join(',')}`);
      }
    }
  }
});

test('a purpose offered on both channels sends on the granted one only', () => {
  const s = state([event({ purpose: 'marketing.personalized', channel: 'sms' })]);
  const sms = decide(
    request({ purpose: 'marketing.personalized', channel: 'sms', processor: 'sms-gateway', fields: [] }),
    s,
    compiled,
    NOW,
  );
  const email = decide(request({ purpose: 'marketing.personalized', channel: 'email', fields: [] }), s, compiled, NOW);
  assert.equal(sms.outcome, 'allow');
  assert.equal(email.outcome, 'deny');
});

test('a pending double opt-in never sends, on any purpose, until reconfirmed', () => {
  for (const p of policy.purposes.filter((x) => x.transferTo === undefined)) {
    const proc = policy.processors.find((x) => x.purposes.includes(p.id) && x.id !== 'legacy-esp');
    const channel = p.channels[0] ?? 'email';
    const req = request({ purpose: p.id, channel, processor: proc?.id ?? 'smtp-relay', fields: [] });
    const pending = event({ purpose: p.id, channel, legalBasis: p.legalBasis, method: 'double_opt_in', pending: true });
    const d = decide(req, state([pending]), compiled, NOW);
    assert.ok(d.outcome === 'deny' && d.reasons.includes(ReasonCode.consent_pending), p.id);
    const confirmed = decide(
      req,
      state([pending, { ...pending, id: '01JZZZZZZZZZZZZZZZZZZZZZZZ', type: 'reconfirmed', pending: undefined }]),
      compiled,
      NOW,
    );
    assert.equal(confirmed.outcome, 'allow', p.id);
  }
});
