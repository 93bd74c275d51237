import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Campaign,
  CampaignDefinitionError,
  defineCampaign,
  holdout,
  InvalidDurationError,
  parseDuration,
  type CampaignInput,
} from '../../domain/campaign.js';
import { reengagement } from '../../campaigns/reengagement.js';
import { welcomeSeries } from '../../campaigns/welcome-series.js';
import { winterPromo } from '../../campaigns/winter-promo.js';

const campaigns = { reengagement, 'welcome-series': welcomeSeries, 'winter-promo': winterPromo };

const base: CampaignInput = {
  id: 'spring-hello',
  name: 'Spring hello',
  description: 'A test campaign',
  purpose: 'marketing.email.newsletter',
  audience: { segment: 'newsletter-subscribers' },
  steps: [{ id: 'send-hello', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }],
};
const define = (over: Partial<CampaignInput>): CampaignDefinitionError => {
  try {
    defineCampaign({ ...base, ...over });
  } catch (e) {
    assert.ok(e instanceof CampaignDefinitionError);
    return e;
  }
  assert.fail('expected defineCampaign to throw');
};
const paths = (e: CampaignDefinitionError): string[] => e.problems.map((p) => p.path);

test('parseDuration reads each unit into milliseconds', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('12h'), 43_200_000);
  assert.equal(parseDuration('2d'), 172_800_000);
  assert.equal(parseDuration('1w'), 604_800_000);
  assert.equal(parseDuration('366d'), 366 * 86_400_000);
});

test('parseDuration rejects zero, signs, decimals, spaces, compound and unknown units, and over a year', () => {
  for (const bad of [
    '0s',
    '0d',
    '-1d',
    '+1d',
    '1.5h',
    ' 1d',
    '1d ',
    '1 d',
    '1d2h',
    '1y',
    '1ms',
    'd',
    '',
    '01d',
    '367d',
    '53w',
    '9999999s',
  ]) {
    assert.throws(() => parseDuration(bad), InvalidDurationError, bad);
  }
  assert.throws(() => parseDuration('3x'), /"3x" is not a duration; .* like 30s, 15m, 12h, 2d or 1w/);
});

test('defineCampaign fills defaults and returns a deeply frozen campaign', () => {
  const c = defineCampaign({
    ...base,
    steps: [...base.steps, { id: 'quiet', type: 'waitUntil', window: { start: '09:00', end: '20:00' } }],
  });
  assert.deepEqual(c.options, { holdoutPercent: 0, kind: 'journey' });
  assert.equal(c.steps[1]?.type === 'waitUntil' && c.steps[1].timezoneField, 'timezone');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.steps) && Object.isFrozen(c.steps[0]));
  assert.throws(() => ((c.steps as unknown as unknown[]).length = 0), TypeError);
});

test('defineCampaign names the path of every schema problem', () => {
  const e = define({
    id: 'Bad Id',
    purpose: 'Marketing',
    steps: [
      { id: 'wait', type: 'wait', duration: '3 days' },
      { id: 'quiet', type: 'waitUntil', window: { start: '9:00', end: '24:00' } },
      {
        id: 'pick',
        type: 'branch',
        condition: { kind: 'field', field: 'locale', op: 'like' as 'eq' },
        then: 'x',
        otherwise: 'y',
      },
      { id: 'send', type: 'send', channel: 'fax' as 'sms', template: 't', processor: 'p' },
      { id: 'odd', type: 'teleport' } as never,
    ],
    options: { holdoutPercent: 60, kind: 'journey' },
  });
  assert.deepEqual(
    paths(e).sort(),
    [
      'id',
      'options.holdoutPercent',
      'purpose',
      'steps[0].duration',
      'steps[1].window.end',
      'steps[1].window.start',
      'steps[2].condition.op',
      'steps[3].channel',
      'steps[4].type',
    ].sort(),
  );
  assert.match(e.message, /^campaign "Bad Id" is invalid:\n {2}/);
  assert.match(e.message, /steps\[0\]\.duration: "3 days" is not a duration/);
});

test('defineCampaign rejects unknown keys, empty steps and a missing audience', () => {
  assert.deepEqual(paths(define({ steps: [] })), ['steps']);
  assert.ok(paths(define({ audience: undefined as never })).includes('audience'));
  assert.deepEqual(paths(define({ steps: [{ id: 'x', type: 'exit', extra: 1 } as never] })), ['steps[0].extra']);
});

test('defineCampaign rejects duplicate step ids, backward or dangling branches and a multi-step broadcast', () => {
  const dup = define({ steps: [...base.steps, { id: 'send-hello', type: 'exit' }] });
  assert.deepEqual(paths(dup), ['steps[1].id']);
  const loop = define({
    steps: [
      { id: 'a', type: 'wait', duration: '1d' },
      {
        id: 'b',
        type: 'branch',
        condition: { kind: 'event', event: 'clicked', within: '2d' },
        then: 'a',
        otherwise: 'nowhere',
      },
      { id: 'c', type: 'exit' },
    ],
  });
  assert.deepEqual(paths(loop), ['steps[1].then', 'steps[1].otherwise']);
  assert.match(loop.message, /branch "b" then → "a": it is not later in the steps/);
  assert.match(loop.message, /otherwise → "nowhere": no step has that id/);
  const cast = define({
    steps: [...base.steps, { id: 'w', type: 'wait', duration: '1d' }],
    options: { kind: 'broadcast', holdoutPercent: 0 },
  });
  assert.match(cast.message, /broadcast "spring-hello" must be exactly one send step \(found send, wait\)/);
});

test('a campaign survives a JSON round trip unchanged, so it can be snapshotted into a workflow', () => {
  for (const c of Object.values(campaigns)) assert.deepEqual(Campaign.parse(JSON.parse(JSON.stringify(c))), c);
});

test('the shipped welcome series sends three mails over seven days with quiet hours before the later ones', () => {
  const c = campaigns['welcome-series'];
  assert.ok(c);
  assert.equal(c.steps.filter((s) => s.type === 'send').length, 3);
  const waited = c.steps
    .flatMap((s) => (s.type === 'wait' ? [parseDuration(s.duration)] : []))
    .reduce((a, b) => a + b, 0);
  assert.equal(waited, parseDuration('1w'));
  assert.equal(c.steps.filter((s) => s.type === 'waitUntil').length, 2);
  assert.equal(campaigns['winter-promo']?.options.kind, 'broadcast');
});

test('holdout is deterministic per subject and campaign', () => {
  const refs = Array.from({ length: 200 }, (_, i) => `sr_${String(i).padStart(22, 'A')}`);
  assert.deepEqual(
    refs.map((r) => holdout(r, 'welcome-series', 20)),
    refs.map((r) => holdout(r, 'welcome-series', 20)),
  );
  assert.notDeepEqual(
    refs.map((r) => holdout(r, 'welcome-series', 20)),
    refs.map((r) => holdout(r, 'reengagement', 20)),
  );
});

test('holdout keeps out close to the percentage over 10,000 refs, and nobody at 0%', () => {
  const refs = Array.from({ length: 10_000 }, (_, i) => `sr_${i.toString(36).padStart(22, 'x')}`);
  for (const pct of [1, 5, 10, 25, 50]) {
    const held = refs.filter((r) => holdout(r, 'winter-promo', pct)).length;
    assert.ok(Math.abs(held - pct * 100) < 150, `${pct}% held ${held} of 10000`);
  }
  assert.equal(refs.filter((r) => holdout(r, 'winter-promo', 0)).length, 0);
});

test('a larger holdout contains the smaller one, so raising the percentage never re-admits anyone', () => {
  const refs = Array.from({ length: 2_000 }, (_, i) => `sr_${i}`);
  for (const r of refs) if (holdout(r, 'c', 5)) assert.ok(holdout(r, 'c', 10));
});
