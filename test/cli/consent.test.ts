import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerConsentCommands } from '../../cli/consent.js';
import { ConsentEvent } from '../../domain/consent.js';
import { runCli, testCliContext } from '../helpers/cli-harness.js';
import { testRedis, uniqueId } from '../helpers/services.js';

const { redis, prefix } = testRedis();
const ctx = testCliContext(redis, prefix);
const cli = (...args: string[]) => runCli(ctx, [registerConsentCommands], args);
const base = (id: string) => [
  '--subject',
  id,
  '--purpose',
  'marketing.email.newsletter',
  '--channel',
  'email',
  '--reason',
  'signed form, ticket T-1',
];

test('consent grant prints the recorded event with the notice in force and the purpose legal basis', async () => {
  const id = uniqueId('s');
  const r = await cli('consent', 'grant', ...base(id), '--collection-point', 'signup-form', '--json');
  assert.equal(r.code, 0);
  const { event, streamId } = JSON.parse(r.stdout) as { event: ConsentEvent; streamId: string };
  assert.ok(ConsentEvent.safeParse(event).success);
  assert.match(streamId, /^\d+-\d+$/);
  assert.deepEqual(
    [event.type, event.noticeVersion, event.legalBasis, event.collectionPoint, event.method],
    ['granted', 3, 'consent', 'signup-form', 'staff'],
  );
  assert.ok(!r.stdout.includes(id), 'output names the subject only by its ref');
  const human = await cli('consent', 'withdraw', ...base(id));
  assert.match(human.stdout, /^recorded withdrawn {2}marketing\.email\.newsletter via email {2}notice v3/);
});

test('consent show lists current state, suppressions and full history', async () => {
  const id = uniqueId('s');
  await cli('consent', 'grant', ...base(id), '--pending');
  await cli('consent', 'reconfirm', ...base(id));
  await cli(
    'consent',
    'grant',
    '--subject',
    id,
    '--purpose',
    'marketing.sms.promotions',
    '--channel',
    'sms',
    '--notice-version',
    '2',
    '--reason',
    'ticket T-1',
  );
  const r = await cli('consent', 'show', '--subject', id, '--json');
  const shown = JSON.parse(r.stdout) as {
    current: ConsentEvent[];
    history: ConsentEvent[];
    erased: boolean;
    suppressions: unknown[];
  };
  assert.deepEqual(
    shown.history.map((e) => e.type),
    ['granted', 'reconfirmed', 'granted'],
  );
  assert.deepEqual(shown.current.map((e) => `${e.purpose}:${e.type}`).sort(), [
    'marketing.email.newsletter:reconfirmed',
    'marketing.sms.promotions:granted',
  ]);
  assert.equal(shown.erased, false);
  const human = await cli('consent', 'show', '--ref', JSON.parse(r.stdout).subjectRef);
  assert.match(human.stdout, /history \(3 events\)/);
});

test('rejects bad input with a one-line message naming the problem (exit 2)', async () => {
  const id = uniqueId('s');
  const cases: [string[], RegExp][] = [
    [
      ['--subject', id, '--purpose', 'marketing.nope', '--channel', 'email'],
      /--purpose "marketing.nope" is not in the policy; known purposes: .*marketing\.email\.newsletter/,
    ],
    [
      ['--subject', id, '--purpose', 'marketing.email.newsletter', '--channel', 'fax'],
      /--channel "fax" is unknown; channels: email, sms/,
    ],
    [
      ['--subject', id, '--purpose', 'marketing.email.newsletter', '--channel', 'sms'],
      /not allowed for marketing\.email\.newsletter/,
    ],
    [[...base(id), '--notice-version', '9'], /--notice-version 9 does not exist in en; published versions: 1, 2, 3/],
    [
      [...base(id), '--method', 'carrier-pigeon'],
      /--method "carrier-pigeon" is refused: consent entered from the CLI is recorded as method staff/,
    ],
    [
      ['--subject', 'has space', '--purpose', 'marketing.email.newsletter', '--channel', 'email'],
      /--subject is malformed: subject id may hold/,
    ],
    [
      ['--ref', 'sr_short', '--purpose', 'marketing.email.newsletter', '--channel', 'email'],
      /--ref "sr_short" is malformed/,
    ],
    [['--purpose', 'marketing.email.newsletter', '--channel', 'email'], /--subject <id> is required/],
  ];
  for (const [args, message] of cases) {
    const r = await cli('consent', 'grant', ...args, ...(args.includes('--reason') ? [] : ['--reason', 'ticket T-1']));
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.ok(!r.stderr.includes('\n    at '), 'no stack trace');
  }
  const missing = await cli('consent', 'grant', '--subject', id, '--channel', 'email');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--purpose <purpose>'/);
  const shown = JSON.parse((await cli('consent', 'show', '--subject', id, '--json')).stdout) as { history: unknown[] };
  assert.deepEqual(shown.history, [], 'nothing was recorded by the rejected commands');
});

test('consent grant --occurred-at records the real time, refusing the future and an older answer than the stored one', async () => {
  const id = uniqueId('s');
  const r = await cli('consent', 'grant', ...base(id), '--occurred-at', '2025-02-03T09:00:00Z', '--json');
  assert.equal(r.code, 0, r.stderr);
  const { event } = JSON.parse(r.stdout) as { event: ConsentEvent };
  assert.deepEqual([event.occurredAt, event.noticeVersion], ['2025-02-03T09:00:00.000Z', 2]);
  const future = await cli('consent', 'grant', ...base(id), '--occurred-at', '2999-01-01T00:00:00Z');
  assert.equal(future.code, 2);
  assert.match(future.stderr, /^error: --occurred-at 2999-01-01T00:00:00.000Z is in the future/);
  const older = await cli('consent', 'withdraw', ...base(id), '--occurred-at', '2025-01-03T09:00:00Z');
  assert.equal(older.code, 2);
  assert.match(older.stderr, /is older than this subject's answer at 2025-02-03T09:00:00.000Z/);
});
