import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { createThreadedMailer, mailThreadData, mailThreadOf } from '../../../infra/smtp/threaded-mailer.js';
import { MAILER_ENV } from '../../../infra/smtp/transport.js';
import { testConfig } from '../../helpers/config.js';
import { assertPoolDelivers, holdingServer, message, softOrHard, startServer } from './servers.js';

const config = testConfig({ CONSENTFLOW_SENDER_EMAIL: 'news@shop.example' });

test('sends handed to the mail thread go out on its pool and come back with the server answer', async () => {
  const srv = await startServer();
  const mailer = createThreadedMailer(config, srv.url, { maxConnections: 2 });
  after(() => (mailer.close(), srv.stop()));
  await assertPoolDelivers(srv, mailer, 60, 2);
});

test("a refused recipient's error crosses the thread with its SMTP code and reply", async () => {
  const srv = await startServer({ rcpt: softOrHard });
  const mailer = createThreadedMailer(config, srv.url, { maxConnections: 1 });
  after(() => (mailer.close(), srv.stop()));
  const outcomes = await Promise.all(
    ['m1', 'soft', 'hard'].map((p, i) =>
      mailer.send(message(i, { to: `${p}@example.org` })).then(
        (r) => ({ code: r.code, response: undefined as string | undefined }),
        (e: Error & { responseCode?: number; response?: string }) => ({ code: e.responseCode, response: e.response }),
      ),
    ),
  );
  assert.deepEqual(
    outcomes.map((o) => o.code),
    [250, 451, 550],
  );
  assert.match(outcomes[1]!.response ?? '', /^451 /);
  assert.match(outcomes[2]!.response ?? '', /^550 /);
});

test('a mail thread that dies fails its unanswered sends without an SMTP code, and the next send starts a new one', async () => {
  const { srv, release, onTheWire } = await holdingServer();
  const mailer = createThreadedMailer(config, srv.url, { maxConnections: 1 });
  after(() => (release(), mailer.close(), srv.stop()));
  const pending = mailer.send(message(1, { to: 'slow@example.org' }));
  // The send is in the thread and on the wire once the server holds its recipient.
  await onTheWire(1);
  const first = mailThreadOf(mailer)!;
  const exited = once(first, 'exit');
  await first.terminate();
  await exited;
  const failure = await pending.then(
    () => assert.fail('a send whose thread died cannot have an answer'),
    (e: Error & { responseCode?: number }) => e,
  );
  // No responseCode: the send path treats it as a connection failure and defers that recipient alone.
  assert.equal(failure.responseCode, undefined);
  assert.match(failure.message, /the mail thread (ended|failed)/);
  assert.equal(mailThreadOf(mailer), undefined, 'the dead thread is let go');
  release();
  const next = await mailer.send(message(2));
  assert.equal(next.code, 250);
  assert.notEqual(mailThreadOf(mailer), first, 'a new thread sent it');
});

test("a dead thread's exit fails only its own sends, never those already handed to the thread after it", async () => {
  const { srv, release, onTheWire } = await holdingServer();
  const mailer = createThreadedMailer(config, srv.url, { maxConnections: 1 });
  after(() => (release(), mailer.close(), srv.stop()));
  assert.equal((await mailer.send(message(1))).code, 250);
  const first = mailThreadOf(mailer)!;
  // The thread reports a failure: the mailer lets it go at once, though the thread takes a while longer to exit.
  first.emit('error', new Error('out of memory'));
  assert.equal(mailThreadOf(mailer), undefined);
  // Meanwhile a send goes to a new thread and is on the wire, held at its recipient, when the old thread exits.
  const second = mailer.send(message(2, { to: 'slow@example.org' }));
  await onTheWire(2);
  const exited = once(first, 'exit');
  await first.terminate();
  await exited;
  release();
  // Failing it would log the send as deferred and send it again later, though the new thread delivered it.
  const r = await second;
  assert.equal(r.code, 250);
  assert.equal(srv.received.filter((m) => m.to[0] === 'slow@example.org').length, 1);
});

test('a closed threaded mailer ends its thread and refuses further sends', async () => {
  const srv = await startServer();
  const mailer = createThreadedMailer(config, srv.url);
  after(() => srv.stop());
  assert.equal((await mailer.send(message(1))).code, 250);
  const thread = mailThreadOf(mailer)!;
  const exited = once(thread, 'exit');
  mailer.close();
  await exited;
  await assert.rejects(mailer.send(message(2)), /the mailer is closed/);
});

test("a mail thread is handed the mailer's own variables and none of the configuration's other secrets", () => {
  const dkim = { DKIM_DOMAIN: 'shop.example', DKIM_SELECTOR: 'cf', DKIM_PRIVATE_KEY: 'pem' };
  const data = mailThreadData(
    testConfig({ ...dkim, CONSENTFLOW_SENDER_EMAIL: 'news@shop.example' }),
    'smtp://h:25',
    {},
  );
  assert.deepEqual(Object.keys(data.config.env).sort(), [...MAILER_ENV].sort());
  assert.deepEqual({ ...data.config.env, SMTP_CA_FILE: undefined }, { ...dkim, SMTP_CA_FILE: undefined });
  const copied = JSON.stringify(structuredClone(data));
  for (const secret of [
    'CONSENTFLOW_MASTER_KEY',
    'CONSENTFLOW_LOG_KEY',
    'CONSENTFLOW_TOKEN_KEY',
    'CONSENTFLOW_PSEUDONYM_KEY',
  ])
    assert.ok(
      !copied.includes(secret) && !copied.includes(String(config.env[secret as keyof typeof config.env])),
      secret,
    );
});
