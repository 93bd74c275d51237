// The broadcast bench's processes and baseline: the SMTP sink in its own process, the worker as deployed, its CPU and
// peak memory, its readiness and stop, and raw nodemailer sends of the same message.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AppConfig } from '../infra/config.js';
import type { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { connectNoDelay, createMailer, dkimSettings } from '../infra/smtp/transport.js';
import { senderOf } from '../infra/sender.js';
import { templatePort } from '../infra/templates/port.js';
import { loadShippedTemplates } from '../infra/templates/shipped.js';
import { policy } from '../policy/index.js';
import { unsubscribeHeaders } from '../activities/message.js';
import { runnerOptions } from '../bin/runner-options.js';

const root = join(import.meta.dirname, '..');

export function sinkProcess(): Promise<{ url: string; pid: number; count(): Promise<number>; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'smtp-sink-process.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiters: Array<(v: Record<string, number | string>) => void> = [];
  lines.on('line', (l) => waiters.shift()?.(JSON.parse(l) as Record<string, number | string>));
  const next = () => new Promise<Record<string, number | string>>((r) => waiters.push(r));
  return next().then((first) => ({
    url: String(first.url),
    pid: child.pid!,
    count: async () => {
      const p = next();
      child.stdin!.write('?\n');
      return Number((await p).count);
    },
    stop: () => child.stdin!.end(),
  }));
}

/** User plus system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** User plus system CPU seconds the Redis server has used so far, from its own INFO. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The rendered campaign message every baseline sends (text, HTML, one-click headers), no guard and no log. */
function campaignMessage(config: AppConfig) {
  const templates = templatePort(loadShippedTemplates());
  const links = {
    unsubscribe: 'https://prefs.shop.example/u/x.y',
    why: 'https://prefs.shop.example/why/x.y',
    preferences: 'https://prefs.shop.example/preferences/x.y',
  };
  const { postalAddresses, ...sender } = senderOf(policy, config);
  const msg = templates.render('promo-winter-sale', {
    fields: { first_name: 'Nora', loyalty_tier: 'gold', preferred_store: 'Mitte' },
    links,
    sender,
    postalAddresses,
  });
  if (!msg.ok) throw new Error(`baseline template needs ${msg.missingFields.join(', ')}`);
  return { ...msg, from: sender.email, headers: unsubscribeHeaders(links) };
}

/** Sends n messages 64 at a time through `send`, returning messages per second. */
async function sendRate(n: number, send: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) await send(next++);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/**
 * The baseline: nodemailer as its documentation has it, a pooled transport (10 connections, Nagle off like the
 * product's) and `sendMail` with the same rendered campaign message, to the same sink; DKIM-signed with nodemailer's
 * own signer when the environment names a key, as the product's worker then signs.
 */
export async function rawNodemailer(config: AppConfig, url: string, n: number): Promise<number> {
  const msg = campaignMessage(config);
  const dkim = dkimSettings(config.env);
  const u = new URL(url);
  const transport = nodemailer.createTransport({
    pool: true,
    host: u.hostname,
    port: Number(u.port),
    secure: false,
    maxConnections: 10,
    maxMessages: Infinity,
    getSocket: (_opts, done) => connectNoDelay(u.hostname, Number(u.port), done),
    ...(dkim ? { dkim: { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.privateKey } } : {}),
  });
  const from = { name: policy.brand?.name ?? '', address: msg.from };
  const rate = await sendRate(n, (i) =>
    transport.sendMail({
      from,
      to: `raw-${i}@example.org`,
      subject: msg.subject,
      text: msg.text,
      html: msg.html,
      headers: msg.headers,
    }),
  );
  transport.close();
  return rate;
}

/** The product's own mailer (its composer and pooled transport) sending the same message with no guard and no log. */
export async function productMailer(config: AppConfig, url: string, n: number): Promise<number> {
  const msg = campaignMessage(config);
  const mailer = createMailer(config, url, { maxConnections: 10 });
  const rate = await sendRate(n, (i) =>
    mailer.send({
      to: `raw-${i}@example.org`,
      fromName: policy.brand?.name,
      subject: msg.subject,
      text: msg.text,
      html: msg.html,
      headers: msg.headers,
    }),
  );
  mailer.close();
  return rate;
}

/** Builds the package (`npm run build`, the dist/ an installed consentflow runs); exits the bench if it fails. */
export function buildPackage(): void {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error('the bench runs the built worker, and `npm run build` failed: fix the errors above');
    process.exit(1);
  }
}

/**
 * A worker started as an installed `consentflow worker` runs: the built dist/cli.js, with the launcher's node flags
 * and environment for long runners (runner-options.js). `profileDir` adds a V8 CPU profile written there on exit.
 */
export function builtWorker(env: NodeJS.ProcessEnv, profileDir?: string): ChildProcess {
  const runner = runnerOptions('worker', env);
  return spawn(
    process.execPath,
    [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...runner.nodeFlags,
      join(root, 'dist', 'cli.js'),
      'worker',
    ],
    { cwd: root, env: { ...env, ...runner.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** Resolves once the worker says it polls, passing its stderr through. */
export function workerReady(worker: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: worker.stderr! });
    lines.on('line', (l) => {
      process.stderr.write(`${l}\n`);
      if (l.includes('worker polling task queue')) resolve();
    });
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it polled`)));
  });
}

export async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGTERM');
  await exited;
}
