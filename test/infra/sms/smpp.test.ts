import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startSmppSink, type SmppSink } from '../../../infra/sms/smpp-server.js';
import { createSmsSender, SmsSubmitError, type SmsInboundHandler } from '../../../infra/sms/smpp-transport.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-smpp-'));
let smsc: SmppSink;
const inbound: Array<Parameters<SmsInboundHandler>[0]> = [];
let sender: ReturnType<typeof createSmsSender>;

before(async () => {
  smsc = await startSmppSink({ outbox: join(dir, 'sms-outbox'), credentials: { systemId: 'shop', password: 'pw-1' } });
  sender = createSmsSender(smsc.url, { sourceAddr: '10690000', inbound: async (p) => void inbound.push(p) });
});
after(async () => {
  await sender.close();
  await smsc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const until = async <T>(fn: () => T | undefined, what: string): Promise<T> => {
  for (let i = 0; i < 200; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never saw ${what}`);
};

test('a long Chinese text goes out as UCS-2 parts with a UDH and the SMSC reassembles it into one private outbox file', async () => {
  const text = `【绒织坊】${'冬季会员日全场八折，'.repeat(14)}回复TD退订`;
  const remembered: string[][] = [];
  const r = await sender.send({ to: '+8613800138000', text }, async (a) => void remembered.push([...a.messageIds]));
  assert.equal(r.dataCoding, 8);
  assert.equal(r.messageIds.length, Math.ceil(text.length / 67));
  assert.deepEqual(remembered, [[...r.messageIds]], 'the ids are recorded once, before send resolves');
  const got = await until(() => smsc.received.find((m) => m.to === '+8613800138000'), 'the message');
  assert.equal(got.text, text);
  assert.equal(got.dataCoding, 8);
  assert.equal(got.parts, r.messageIds.length);
  assert.deepEqual(got.messageIds, r.messageIds);
  assert.equal(JSON.parse(readFileSync(got.file, 'utf8')).text, text);
  assert.equal(statSync(got.file).mode & 0o777, 0o600);
  assert.equal(statSync(smsc.outbox).mode & 0o777, 0o700);
});

test('a short Latin text is one GSM-7 message, and its delivery receipt reaches the handler after the ids were recorded', async () => {
  let recorded = false;
  const r = await sender.send(
    { to: '+4915112345678', text: 'Lumen & Loom: 20% off today. Reply STOP to opt out' },
    async () => {
      await new Promise((res) => setTimeout(res, 50));
      recorded = true;
    },
  );
  assert.equal(r.dataCoding, 0);
  assert.equal(r.messageIds.length, 1);
  const receipt = await until(
    () => inbound.find((p) => p.receipt && p.receiptedMessageId === r.messageIds[0]),
    'the receipt',
  );
  assert.ok(recorded, 'the receipt was handled only after the record of its message');
  assert.match(receipt.text, new RegExp(`^id:${r.messageIds[0]} .*stat:DELIVRD`));
  assert.equal(receipt.messageState, 2);
});

test('an UNDELIV rule makes the SMSC answer with an UNDELIV receipt', async () => {
  smsc.failNumbers((n) => n === '+8613900139000', 'UNDELIV');
  const r = await sender.send({ to: '+8613900139000', text: '【绒织坊】测试 回复TD退订' }, async () => {});
  const receipt = await until(
    () => inbound.find((p) => p.receipt && p.receiptedMessageId === r.messageIds[0]),
    'the receipt',
  );
  assert.match(receipt.text, /stat:UNDELIV/);
  assert.equal(receipt.messageState, 5);
});

test('an inbound reply reaches the handler as MO with the international number and the decoded Chinese text', async () => {
  await smsc.mo('+8613800138001', '退订');
  const mo = await until(() => inbound.find((p) => !p.receipt && p.from === '8613800138001'), 'the MO');
  assert.equal(mo.text, '退订');
  assert.equal(mo.fromTon, 1);
});

test('a bind with the wrong password is refused with a message naming SMPP_URL, and nothing is submitted', async () => {
  const before = smsc.received.length;
  const bad = createSmsSender(smsc.url.replace('pw-1', 'wrong'), { sourceAddr: '10690000', inbound: async () => {} });
  await assert.rejects(
    bad.send({ to: '+8613800138000', text: 'x' }, async () => {}),
    (e: Error) => e.name === 'SmsSubmitError' && /SMPP_URL/.test(e.message),
  );
  await bad.close();
  assert.equal(smsc.received.length, before);
});

test('an invalid destination is refused by the SMSC with status 0x0B, a permanent failure', async () => {
  await assert.rejects(
    sender.send({ to: '12', text: 'x' }, async () => {}),
    (e: Error & { status?: number; permanent?: boolean }) => e.status === 0x0b && e.permanent === true,
  );
});

test('a gateway that accepts the connection and never answers fails the send as transient within the response bound', async () => {
  // A TCP peer that reads and never replies: the bind gets no bind_transceiver_resp.
  const silent = createServer((socket) => socket.on('data', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as AddressInfo).port;
  const mute = createSmsSender(`smpp://cf:secret@127.0.0.1:${port}`, {
    sourceAddr: '10690000',
    inbound: async () => undefined,
    responseTimeoutMs: 300,
  });
  try {
    const err = await mute
      .send({ to: '+8613800138000', text: '【绒织坊】你好。回复TD退订' }, async () => undefined)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof SmsSubmitError, String(err));
    assert.equal(err.status, undefined, 'no SMSC status: a transient failure, retried after consent is checked again');
    assert.match(err.message, /did not answer the bind within 0\.3s/);
  } finally {
    await mute.close();
    silent.close();
  }
});
