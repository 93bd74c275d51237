import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsentEvent } from '../../domain/consent.js';
import { compilePolicy } from '../../domain/policy.js';
import {
  addMove,
  crossBorderSection,
  type CrossBorderState,
  type Move,
  type TransferFacts,
  UNRECORDED,
} from '../../domain/review-cross-border.js';
import { policy as bundle } from '../../policy/index.js';

const policy = compilePolicy(bundle, 'test-policy');
const CAC: TransferFacts = {
  jurisdiction: 'CN',
  transferTo: 'EU',
  transferMechanism: 'CAC-SC-440300-2025-0142',
  transferMechanismKind: 'standard_contract',
  transferValidFrom: '2025-03-01T00:00:00Z',
  transferValidUntil: '2028-02-29T23:59:59Z',
  transferConsentEventId: 'ce-t',
};
const grant = (over: Partial<ConsentEvent> = {}) =>
  ({
    id: 'ce-t',
    type: 'granted',
    purpose: 'transfer.overseas.smtp_relay',
    channel: 'email',
    occurredAt: '2026-01-01T00:00:00Z',
    ...over,
  }) as ConsentEvent;
const move = (over: Partial<Move> = {}, facts: Partial<TransferFacts> = {}): Move => ({
  entryId: 'E1',
  processor: 'smtp-relay',
  decidedAt: '2026-02-01T00:00:00Z',
  fields: ['email', 'first_name'],
  notice: false,
  ...over,
  facts: { ...CAC, ...facts },
});

function run(moves: readonly [Move, readonly ConsentEvent[]][]) {
  const state: CrossBorderState = {};
  const flagged: string[] = [];
  for (const [m, events] of moves) addMove(state, (id) => flagged.push(id), policy, m, events);
  return { rows: crossBorderSection(state), flagged };
}

test('a CN send abroad on an in-force mechanism and a live separate consent is counted with its fields and mechanism, unflagged', () => {
  const { rows, flagged } = run([
    [move(), [grant()]],
    [move({ entryId: 'E2', notice: true, fields: ['first_name'] }), [grant()]],
  ]);
  assert.deepEqual(flagged, []);
  assert.equal(rows.length, 1);
  assert.deepEqual(
    {
      ...rows[0],
      mechanisms: rows[0]!.mechanisms.map((m) => [m.reference, m.kind, m.validFrom, m.validUntil, m.moves]),
    },
    {
      processor: 'smtp-relay',
      jurisdiction: 'CN',
      transferTo: 'EU',
      sends: 1,
      notices: 1,
      fields: { email: 1, first_name: 2 },
      mechanisms: [['CAC-SC-440300-2025-0142', 'standard_contract', '2025-03-01T00:00:00Z', '2028-02-29T23:59:59Z', 2]],
      withoutMechanism: 0,
      withoutConsent: 0,
    },
  );
});

test('flags a CN move abroad whose mechanism was not in force, whose consent is unknown, or was withdrawn before it', () => {
  const withdrawn = grant({ id: 'ce-w', type: 'withdrawn', occurredAt: '2026-01-15T00:00:00Z' });
  const { rows, flagged } = run([
    [move({ entryId: 'LAPSED', decidedAt: '2028-03-01T00:00:00Z' }), [grant()]],
    [
      move(
        { entryId: 'NONE' },
        { transferMechanism: null, transferMechanismKind: null, transferValidFrom: null, transferValidUntil: null },
      ),
      [grant()],
    ],
    [move({ entryId: 'UNKNOWN' }), []],
    [move({ entryId: 'WITHDRAWN' }), [grant(), withdrawn]],
    [move({ entryId: 'OK' }), [grant()]],
  ]);
  assert.deepEqual(flagged, ['LAPSED', 'NONE', 'UNKNOWN', 'WITHDRAWN']);
  assert.equal(rows[0]!.withoutMechanism, 2);
  assert.equal(rows[0]!.withoutConsent, 2);
});

test('judges "abroad" from the policy too: a CN move to the EU relay that claims no transfer is still checked, a CN-region processor is not', () => {
  const { flagged, rows } = run([
    [move({ entryId: 'CLAIMS_NONE' }, { transferTo: null, transferMechanism: null, transferConsentEventId: null }), []],
    [
      move(
        { entryId: 'DOMESTIC', processor: 'sms-gateway' },
        { transferTo: null, transferMechanism: null, transferConsentEventId: null },
      ),
      [],
    ],
    [
      move(
        { entryId: 'UNKNOWN_PROC', processor: 'nobody' },
        { transferTo: null, transferMechanism: null, transferConsentEventId: null },
      ),
      [],
    ],
  ]);
  assert.deepEqual(flagged, ['CLAIMS_NONE', 'UNKNOWN_PROC']);
  assert.equal(rows.find((r) => r.processor === 'sms-gateway')?.transferTo, null);
  assert.equal(rows.find((r) => r.processor === 'smtp-relay')?.transferTo, 'EU');
});

test('an EU subject needs a mechanism but no separate consent; a decision logged before the columns existed is listed, not judged', () => {
  const { flagged, rows } = run([
    [
      move(
        { entryId: 'EU_NO_MECH', processor: 'legacy-esp' },
        { jurisdiction: 'EU', transferTo: 'US', transferMechanism: null, transferConsentEventId: null },
      ),
      [],
    ],
    [
      move(
        { entryId: 'UK_OK' },
        {
          jurisdiction: 'UK',
          transferMechanism: 'UK adequacy',
          transferValidFrom: '2021-01-01T00:00:00Z',
          transferValidUntil: '2031-12-31T23:59:59Z',
          transferConsentEventId: null,
        },
      ),
      [],
    ],
    [{ ...move({ entryId: 'OLD' }), facts: UNRECORDED }, []],
  ]);
  assert.deepEqual(flagged, ['EU_NO_MECH']);
  assert.equal(rows.find((r) => r.jurisdiction === '(not recorded)')?.sends, 1);
});
