import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { loadDevApiKeys } from '../../infra/dev-api-keys.js';
import { loadDevKeys } from '../../infra/dev-keys.js';
import { DsarBundles } from '../../infra/dsar-bundles.js';
import { startRedis } from '../../infra/embedded/redis.js';
import { segmentsDir } from '../../infra/redis/decision-log-segments.js';
import { startSmtpSink } from '../../infra/smtp/sink.js';
import { testRedis } from '../helpers/services.js';
import { decision, makeLog } from './redis/fixtures/decision-log-fixture.js';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
const root = mkdtempSync(join(tmpdir(), 'cf-perm-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Every entry under `dir`, recursively, with its permission bits. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': mode(dir) };
  for (const e of readdirSync(dir, { recursive: true, encoding: 'utf8' })) out[e] = mode(join(dir, e));
  return out;
}
const onlyPrivate = (m: Record<string, string>, dir: string): void => {
  for (const [name, bits] of Object.entries(m)) {
    const isDir = statSync(join(dir, name)).isDirectory();
    assert.equal(bits, isDir ? '700' : '600', `${name} in ${dir}`);
  }
};

test('keys, API keys and access bundles are 0600 in a 0700 data dir', async () => {
  const dataDir = join(root, 'data');
  loadDevKeys(dataDir, true);
  loadDevApiKeys(dataDir, true);
  await new DsarBundles(dataDir).write('b1', { email: 'p@example.com' }, 'summary');
  const m = modes(dataDir);
  assert.ok(m['keys.json'] && m['api-keys.json'] && m['dsar/b1.json'] && m['dsar/b1.txt'], JSON.stringify(m));
  onlyPrivate(m, dataDir);
});

test('the SMTP sink writes each .eml (recipients and names) 0600 in a 0700 outbox', async () => {
  const outbox = join(root, 'outbox');
  const sink = await startSmtpSink({ outbox, port: 0 });
  after(() => sink.stop());
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
  await t.sendMail({ from: 'a@shop.example', to: 'Mei Tanaka <mei@example.com>', subject: 'hi', text: 'x' });
  t.close();
  const m = modes(outbox);
  assert.equal(Object.keys(m).filter((n) => n.endsWith('.eml')).length, 1);
  onlyPrivate(m, outbox);
});

test('embedded Redis writes its AOF and redis.log 0600 in 0700 folders', async () => {
  const dir = join(root, 'redis');
  const svc = await startRedis({ dataDir: dir });
  const c = new Redis(svc.url);
  await c.set('k', 'personal');
  await c.quit();
  await svc.stop();
  const m = modes(dir);
  assert.ok(m['redis.log'] && Object.keys(m).some((n) => n.includes('.aof')), JSON.stringify(m));
  onlyPrivate(m, dir);
});

test('sealed log segments, the manifest are 0600 in 0700 folders', async () => {
  const { redis, prefix } = testRedis();
  const log = makeLog(redis, prefix, { partitions: 2 });
  await log.appendBatch(Array.from({ length: 20 }, (_, i) => decision(i)));
  await new Promise((r) => setTimeout(r, 5));
  await log.seal(new Date());
  const dir = segmentsDir(log.opts.dataDir);
  const m = modes(dir);
  assert.ok(m['manifest.json'] && Object.keys(m).some((n) => n.endsWith('.jsonl.gz')), JSON.stringify(m));
  onlyPrivate(m, dir);
});
