import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runGuardedSends } from '../../activities/send-pipeline.js';
import { createMailer } from '../../infra/smtp/transport.js';
import { startServer } from '../infra/smtp/servers.js';
import { entriesOf, path, spec, subject } from './send-pipeline-fixtures.js';

test('a relay refusing the login defers every recipient as smtp_unreachable instead of logging them as refused', async () => {
  let password = 'wrong';
  const relay = await startServer({
    authOptional: false,
    allowInsecureAuth: true,
    onAuth: (auth, _session, cb) =>
      auth.password === 'right'
        ? cb(null, { user: auth.username })
        : cb(Object.assign(new Error('5.7.8 authentication failed'), { responseCode: 535 })),
  });
  const mailerFor = () => createMailer(path.config, `smtp://relay:${password}@127.0.0.1:${relay.port}`);
  const wrong = mailerFor();
  password = 'right';
  const right = mailerFor();
  after(() => (wrong.close(), right.close(), relay.stop()));
  const members = [await subject({ first_name: 'Rae' }), await subject({ first_name: 'Sol' })];
  const s = spec();
  const refs = members.map((m) => m.ref);
  const deferral = { deferral: { baseMs: 1, maxAttempts: 3 } };

  const first = await runGuardedSends({ ...path.deps, mailer: wrong }, s, refs, deferral);
  assert.deepEqual(
    first.map((o) => [o.status, o.reasons, o.smtpCode]),
    [
      ['deferred', ['smtp_unreachable'], undefined],
      ['deferred', ['smtp_unreachable'], undefined],
    ],
  );
  assert.equal(relay.received.length, 0);
  // Once the password is fixed the same decisions send; nothing was logged as a failed delivery in between.
  const second = await runGuardedSends({ ...path.deps, mailer: right }, s, refs, deferral);
  assert.deepEqual(
    second.map((o) => o.status),
    ['sent', 'sent'],
  );
  for (const m of members)
    assert.deepEqual(
      (await entriesOf(m.ref)).map((e) => `${e.kind}:${e.outcome}`),
      ['decision:allow', 'delivery:sent'],
    );
  assert.deepEqual(relay.received.map((r) => r.to[0]).sort(), members.map((m) => m.address).sort());
});
