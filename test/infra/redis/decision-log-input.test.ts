import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENESIS_HASH, LogEntryInput } from '../../../domain/decision-log.js';
import { canonicalEntry } from '../../../domain/decision-log-canonical.js';
import { LogEntryInvalidError } from '../../../infra/redis/decision-log-errors.js';
import { entryHash } from '../../../infra/redis/decision-log-mac.js';
import { testRedis } from '../../helpers/services.js';
import { decision, makeLog, TEST_LOG_KEY } from './fixtures/decision-log-fixture.js';

const ok = decision(1);
const ULID = '01HZZZZZZZZZZZZZZZZZZZZZZZ';

// Each wrong input with the message the log has always given for it (the schema's own wording).
const refusals: [what: string, input: Record<string, unknown>, message: string][] = [
  [
    'an email for a subjectRef',
    { ...ok, subjectRef: 'bob@example.com' },
    'subjectRef: subjectRef must look like sr_ followed by 22 base64url characters',
  ],
  [
    'an outcome its kind cannot carry',
    { ...ok, kind: 'delivery', outcome: 'allow', decisionId: ULID },
    'outcome: a delivery entry has outcome sent or failed or delivered or undelivered, not allow',
  ],
  [
    'a delivery without its decision',
    { ...ok, kind: 'delivery', outcome: 'sent', reasons: [] },
    'decisionId: a delivery entry needs the decisionId it was authorised by',
  ],
  ['a key the log does not know', { ...ok, email: 'bob@example.com' }, ': Unrecognized key: "email"'],
  ['a time without milliseconds', { ...ok, at: '2025-01-02T03:04:05Z' }, 'at: Invalid ISO datetime'],
  ['an id that is no ULID', { ...ok, id: 'not-a-ulid' }, 'id: must be a ULID'],
  [
    'a text past 256 characters',
    { ...ok, campaignId: 'x'.repeat(257) },
    'campaignId: Too big: expected string to have <=256 characters',
  ],
  ['an empty text', { ...ok, purpose: '' }, 'purpose: Too small: expected string to have >=1 characters'],
  [
    'a reason that is no snake_case code',
    { ...ok, reasons: ['Consent Missing'] },
    'reasons.0: must be a snake_case code',
  ],
  [
    'an SMTP code out of range',
    { ...ok, kind: 'delivery', outcome: 'sent', decisionId: ULID, reasons: [], smtpCode: 700 },
    'smtpCode: Too big: expected number to be <=599',
  ],
  ['a field name with a dash', { ...ok, fieldsReleased: ['e-mail'] }, 'fieldsReleased.0: must be a field name'],
  [
    'a transfer date without a time',
    { ...ok, transferValidFrom: '2025-01-02' },
    'transferValidFrom: Invalid ISO datetime',
  ],
];

test('refuses each kind of invalid entry with the message naming its column, and a batch holding one writes nothing', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix);
  for (const [what, input, message] of refusals) {
    await assert.rejects(
      log.appendBatch([decision(2), input as LogEntryInput, decision(3)]),
      (e: unknown) => e instanceof LogEntryInvalidError && e.message === `decision log entry 1 is invalid: ${message}`,
      what,
    );
  }
  // Text is limited in characters (code points), so 200 emoji fit where 257 letters do not.
  const emoji = await log.append({ ...ok, campaignId: '\u{1F600}'.repeat(200) });
  assert.equal(emoji.campaignId, '\u{1F600}'.repeat(200));
  const report = await log.verify();
  assert.deepEqual({ ok: report.ok, entries: report.entries }, { ok: true, entries: 1 });
});

test('stores the canonical bytes and hash of the parsed input at its chain position, as it always has', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { partitions: 1 });
  const at = new Date().toISOString();
  const inputs: LogEntryInput[] = [
    {
      ...decision(5, { runId: 'run-1', campaignId: 'sale "50%", \\ ünïcode \u2028 \u{1F600}' }),
      id: ULID,
      at,
      smtpCode: null,
      jurisdiction: 'CN',
      transferTo: 'EU',
      transferMechanism: 'scc-2021',
      transferMechanismKind: 'standard_contract',
      transferValidFrom: '2024-01-01T00:00:00+08:00',
      transferValidUntil: '2027-01-01T00:00:00.000Z',
      transferConsentEventId: 'ce-9',
    },
    { subjectRef: decision(6).subjectRef, kind: 'delivery', outcome: 'failed', decisionId: ULID, smtpCode: 550 },
  ];
  const written = await log.appendBatch(inputs, { idempotencyKeys: ['golden|1', null] });
  const stored = (await redis.xrange(log.keys.logChain(0), '-', '+')) as [string, string[]][];
  let prevHash = GENESIS_HASH;
  for (const [k, input] of inputs.entries()) {
    // The entry as the schema parses the input, placed in the chain: what the canonical form has always covered.
    const expected = {
      ...LogEntryInput.parse(input),
      id: written[k]!.id,
      at: written[k]!.at,
      seq: k + 1,
      partition: 0,
      prevHash,
    };
    const canonical = canonicalEntry(expected);
    const hash = entryHash(TEST_LOG_KEY, canonical);
    assert.deepEqual(stored[k]![1], ['e', canonical, 'h', hash]);
    assert.deepEqual(written[k], { ...expected, hash });
    prevHash = hash;
  }
  assert.equal(written[0]!.at, at);
  assert.equal((await log.verify()).ok, true);
});
