// fast-check arbitraries for the guard: random requests, events, states and clocks, plus mostly-valid scenarios.
import fc from 'fast-check';
import type { GuardState } from '../../domain/consent-state.js';
import type { GuardRequest } from '../../domain/guard.js';
import { purposeAncestors } from '../../domain/purpose-id.js';
import { policy } from '../../policy/index.js';
import { event, request, state, suppression } from './guard-fixtures.js';

export const purposeIds = [
  ...policy.purposes.map((p) => p.id),
  'marketing',
  'sharing.third_party',
  'marketing.email.contest',
];
export const jurisdictionCodes = ['DE', 'FR', 'EU', 'CN', 'GB', 'UK', 'US', 'US-CA', 'BR'];
export const fieldNames = [...policy.subjectFields.map((f) => f.name), 'iban'];

export const arbRequest = fc
  .record({
    purpose: fc.constantFrom(...purposeIds),
    channel: fc.constantFrom('email', 'sms', 'fax'),
    processor: fc.constantFrom(...policy.processors.map((p) => p.id), 'nobody'),
    fields: fc.subarray(fieldNames, { maxLength: 5 }),
  })
  .map((r) => request(r));

export const arbEvent = fc
  .record({
    type: fc.constantFrom('granted', 'withdrawn', 'expired', 'reconfirmed'),
    purpose: fc.constantFrom(...purposeIds),
    channel: fc.constantFrom('email', 'sms'),
    legalBasis: fc.constantFrom('consent', 'soft_opt_in', 'contract'),
    noticeVersion: fc.integer({ min: 1, max: 3 }),
    pending: fc.option(fc.constant(true as const), { nil: undefined }),
    occurredAt: fc
      .date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2026-05-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    jurisdiction: fc.constantFrom(...jurisdictionCodes),
    givenBy: fc.option(fc.constant('guardian' as const), { nil: undefined }),
  })
  .map((r) => event(r));

export const arbState: fc.Arbitrary<GuardState> = fc
  .record({
    events: fc.array(arbEvent, { maxLength: 8 }),
    suppressions: fc.subarray(
      [suppression('unsubscribe_all'), suppression('hard_bounce', 'email'), suppression('complaint', 'sms')],
      { maxLength: 1 },
    ),
    erased: fc.boolean(),
    personalisation: fc.constantFrom('on' as const, 'off' as const),
    loadError: fc.option(fc.constant('timeout'), { nil: undefined, freq: 5 }),
    birthYear: fc.option(fc.integer({ min: 2005, max: 2020 }), { nil: undefined }),
  })
  .map(({ events, birthYear, ...rest }) =>
    state(events, { ...rest, ...(birthYear === undefined ? {} : { birthYear }) }),
  );

export const arbNow = fc.date({
  min: new Date('2024-06-01T00:00:00Z'),
  max: new Date('2027-12-31T00:00:00Z'),
  noInvalidDate: true,
});

// Mostly-valid scenarios with a few random breakages, so allows are common and the invariants get exercised.
export const sendable = policy.purposes.flatMap((p) =>
  p.channels.flatMap((c) => {
    const proc = policy.processors.find(
      (x) => x.id !== 'legacy-esp' && x.purposes.includes(p.id) && x.fields.includes(policy.channelAddressField[c]),
    );
    return proc ? [{ p, c, proc }] : [];
  }),
);
export const breakages = [
  'purpose',
  'channel',
  'processor',
  'field',
  'withdrawn',
  'pending',
  'notice',
  'erased',
  'suppressed',
  'load',
  'personalisation',
  'basis',
  'ancestor',
  'minor',
  'transfer',
] as const;
export const arbScenario = fc
  .record({
    pick: fc.constantFrom(...sendable),
    fieldSeed: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
    viaParent: fc.boolean(),
    occurredAt: fc.date({
      min: new Date('2025-07-01T00:00:00Z'),
      max: new Date('2026-05-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    now: fc.date({ min: new Date('2026-06-01T00:00:00Z'), max: new Date('2026-12-30T00:00:00Z'), noInvalidDate: true }),
    broken: fc.subarray([...breakages], { maxLength: 2 }),
    jurisdiction: fc.constantFrom(...jurisdictionCodes),
  })
  .map(
    ({
      pick: { p, c, proc },
      fieldSeed,
      viaParent,
      occurredAt,
      now,
      broken,
      jurisdiction,
    }): [GuardRequest, GuardState, Date] => {
      const has = (b: (typeof breakages)[number]) => broken.includes(b);
      const fields = p.allowedFields.filter((f, i) => proc.fields.includes(f) && fieldSeed[i % 10]);
      const parent = purposeAncestors(p.id)[0];
      const onParent = (viaParent && !p.separateConsent) || has('ancestor');
      const grant = event({
        purpose: onParent && parent ? parent : p.id,
        channel: c,
        legalBasis: has('basis') ? 'contract' : p.legalBasis,
        occurredAt: occurredAt.toISOString(),
        noticeVersion: has('notice') ? 1 : 3,
        ...(has('pending') ? { pending: true } : {}),
        jurisdiction,
      });
      // The separate cross-border consent to every recipient that has a transfer purpose, unless broken.
      const transfers = has('transfer')
        ? []
        : policy.purposes
            .filter((x) => x.transferTo !== undefined)
            .flatMap((x) =>
              x.channels.map((ch) =>
                event({ purpose: x.id, channel: ch, jurisdiction, occurredAt: occurredAt.toISOString() }),
              ),
            );
      const events = [...transfers, ...(has('withdrawn') ? [grant, event({ ...grant, type: 'withdrawn' })] : [grant])];
      const req = request({
        purpose: has('purpose') ? `${p.id}.other` : p.id,
        channel: has('channel') ? 'fax' : c,
        processor: has('processor') ? 'legacy-esp' : proc.id,
        fields: has('field') ? [...fields, 'iban'] : fields,
      });
      return [
        req,
        state(events, {
          erased: has('erased'),
          suppressions: has('suppressed') ? [suppression('unsubscribe_all')] : [],
          personalisation: has('personalisation') ? 'off' : 'on',
          ...(has('load') ? { loadError: 'timeout' } : {}),
          birthYear: has('minor') ? 2015 : 1980,
        }),
        now,
      ];
    },
  );
export const arbCase = fc.oneof(arbScenario, fc.tuple(arbRequest, arbState, arbNow));
