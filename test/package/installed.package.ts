import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSmtpSink } from '../../infra/smtp/sink.js';
import { eventually } from '../helpers/engine.js';
import { exampleRoot } from '../helpers/example-workspace.js';
import { testTemporal, uniqueId } from '../helpers/services.js';

// The package as another service gets it: built, packed, installed from the tarball, used under plain node (no tsx),
// from that project's own workspace, against the run's Temporal and Redis and a real SMTP conversation.
const pkg = JSON.parse(readFileSync(join(exampleRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const tmp = mkdtempSync(join(tmpdir(), 'cf-pkg-'));
const project = join(tmp, 'service');
let tarball = '';

// A build on a loaded machine is slow, not broken: the limit only stops a hang (spawnSync blocks the test's own timers).
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...env, NODE_OPTIONS: '' }, timeout: 1_200_000 });
  assert.equal(
    r.status,
    0,
    `${cmd} ${args.join(' ')} (${r.signal ?? r.error?.message ?? `exit ${r.status}`})\n${r.stdout}\n${r.stderr}`,
  );
  return r.stdout;
};

before(
  () => {
    run('npm', ['run', 'build'], exampleRoot);
    run('npm', ['pack', '--pack-destination', tmp], exampleRoot);
    tarball = join(
      tmp,
      readdirSync(tmp).find((f) => f.endsWith('.tgz'))!,
    );
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'service', private: true, type: 'module' }));
    // The service brings its own Redis client, as a service that "already holds a Redis connection" does.
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `ioredis@${pkg.dependencies.ioredis}`],
      project,
    );
    run('npx', ['consentflow', 'init', '.'], project);
  },
  { timeout: 1_800_000 },
);

test('the tarball ships only the built package, and its runtime dependencies hold no test tools', () => {
  const listing = run('tar', ['tzf', tarball], tmp).split('\n').filter(Boolean);
  assert.deepEqual(
    [...new Set(listing.map((f) => f.split('/')[1]))].sort(),
    ['README.md', 'bin', 'dist', 'package.json'],
    'no tests, benches, scripts or CI files',
  );
  assert.ok(!listing.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'only JS and declarations');
  assert.ok(listing.includes('package/dist/workflows/index.js'), 'the compiled workflow entry the worker bundles');
  // mailauth is not among them: the production DKIM signer canonicalises with it. Nor is mailparser: complaint
  // intake (`consentflow complaint arf`) parses feedback reports with it in production.
  const devOnly = [
    '@temporalio/testing',
    'smtp-server',
    'prettier',
    'playwright-core',
    'fast-check',
    'typescript',
    'eslint',
  ];
  assert.deepEqual(
    Object.keys(pkg.dependencies).filter((d) => devOnly.includes(d)),
    [],
  );
});

test('under plain node the package imports, loads the project workspace and lints it', { timeout: 900_000 }, () => {
  const script = `
    import { defineCampaign, loadWorkspace, workspacePaths, recordConsent, startCampaign } from 'consentflow';
    const paths = await workspacePaths(process.cwd());
    if (!paths.ok) throw new Error(paths.message);
    const ws = await loadWorkspace(paths.value);
    console.log(JSON.stringify({ fns: [typeof defineCampaign, typeof recordConsent, typeof startCampaign], campaigns: Object.keys(ws.campaigns), segments: Object.keys(ws.segments), templates: ws.templates.ids().sort(), policy: ws.policy.ok }));`;
  const out = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], project)) as Record<
    string,
    unknown
  >;
  assert.deepEqual(out, {
    fns: ['function', 'function', 'function'],
    campaigns: ['welcome'],
    segments: ['subscribers'],
    templates: ['gold-thanks', 'hello'],
    policy: true,
  });
  assert.match(run('npx', ['consentflow', 'campaign', 'lint'], project), /✓ welcome: lint clean/);
  assert.match(run('npx', ['consentflow', '--help'], project), /Usage: consentflow/);
  // smtp-server is an optional peer: without it (and without SMTP_URL) dev says what to install, before starting anything.
  const dev = spawnSync('npx', ['consentflow', 'dev'], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', SMTP_URL: undefined },
    timeout: 1_200_000,
  });
  assert.equal(dev.status, 1, dev.stderr);
  assert.match(
    dev.stderr,
    /^error: the local SMTP sink needs the smtp-server package: run `npm install --save-dev smtp-server@3`, or set SMTP_URL/m,
  );
});

// Processes of a process group that still run: every one but zombies, which have exited and wait to be reaped.
const runningInGroup = (pgid: number): string[] =>
  run('ps', ['-e', '-o', 'pgid=,stat=,args='], tmp)
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([g, stat]) => Number(g) === pgid && !stat!.startsWith('Z'))
    .map((f) => f.slice(2).join(' '));

// What the service does with the library: record a consent, start the workspace's campaign on its segment.
const serviceScript = `
import { Redis } from 'ioredis';
import { buildConfig, connectClient, createServices, loadWorkspace, parseEnv, recordConsent, startCampaign, workerContent, workspacePaths } from 'consentflow';
const config = buildConfig(parseEnv(process.env));
const paths = await workspacePaths(process.cwd());
if (!paths.ok) throw new Error(paths.message);
const ws = await loadWorkspace(paths.value);
const redis = new Redis(process.env.REDIS_URL);
const services = createServices(config, redis, workerContent(ws).policy);
const client = await connectClient(config, process.env.TEMPORAL_ADDRESS);
const answer = { purpose: 'marketing.email.newsletter', channel: 'email', language: 'en', collectionPoint: 'signup', method: 'form', jurisdiction: 'EU', source: 'service' };
const consent = await recordConsent({ services }, { ...answer, type: 'granted', subjectId: 'cust-1' });
const started = await startCampaign({ services, client, workspace: ws, taskQueue: config.taskQueue }, 'welcome', { segment: 'subscribers' }, { timeScale: 0.00001 });
if (!started.ok) throw new Error(started.message);
console.log(JSON.stringify({ consent: consent.ok, started: started.start.kind }));
await client.connection.close();
await redis.quit();
`;

test(
  'from the installed project: a worker started with npx, a consent and a campaign from the service, and the email arrives',
  { timeout: 900_000 },
  async () => {
    const redisUrl = process.env.CF_TEST_REDIS_URL;
    assert.ok(redisUrl, 'CF_TEST_REDIS_URL is set: run this through `npm run test:package`');
    const prefix = `${uniqueId('t').replace(/-/g, '')}:`;
    const temporal = testTemporal();
    const sink = await startSmtpSink({ outbox: join(tmp, 'outbox') });
    after(() => sink.stop());
    const key = () => randomBytes(32).toString('base64');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: '',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      SMTP_URL: sink.url,
      CONSENTFLOW_DATA_DIR: join(project, '.data'),
      CONSENTFLOW_PUBLIC_URL: 'https://prefs.service.example',
      CONSENTFLOW_WORKSPACE: undefined,
      CONSENTFLOW_MASTER_KEY: key(),
      CONSENTFLOW_PSEUDONYM_KEY: key(),
      CONSENTFLOW_LOG_KEY: key(),
      CONSENTFLOW_TOKEN_KEY: key(),
      CONSENTFLOW_CODEC_KEY: key(),
      // A production worker refuses to mail unsigned: a DKIM key for the sender's own domain.
      CONSENTFLOW_SENDER_EMAIL: 'news@service.example',
      DKIM_DOMAIN: 'service.example',
      DKIM_SELECTOR: 'cf',
      DKIM_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    };
    assert.match(run('npx', ['consentflow', 'subject', 'import', 'people.csv'], project, env), /imported 2 of 2 rows/);

    // Its own process group, so stopping it by PID reaches npx, the launcher and the CLI alike.
    const worker = spawn('npx', ['consentflow', 'worker', '--workspace', '.'], {
      cwd: project,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let workerErr = '';
    // Every process of the tree holds these pipes: 'close' fires only once all of them have exited.
    const closed = new Promise<void>((resolve) => worker.on('close', () => resolve()));
    const ready = new Promise<void>((resolve, reject) => {
      worker.stderr!.on('data', (b: Buffer) => {
        workerErr += b.toString();
        if (workerErr.includes('worker polling task queue')) resolve();
      });
      worker.on('exit', (code) => reject(new Error(`the worker exited (${code}) before polling:\n${workerErr}`)));
    });
    after(async () => {
      if (worker.exitCode === null && worker.signalCode === null) process.kill(-worker.pid!, 'SIGKILL');
      await closed;
    });
    await ready;

    const service = JSON.parse(
      run(process.execPath, ['--input-type=module', '-e', serviceScript], project, env),
    ) as unknown;
    assert.deepEqual(service, { consent: true, started: 'run' });

    // Ada consented and is gold: the hello, then the branch's thank-you. Ben never consented: nothing (fail closed).
    const toAda = () => sink.received.filter((m) => m.envelopeTo.includes('ada@example.org'));
    await eventually(
      () => (toAda().length >= 2 ? true : undefined),
      120_000,
      'both emails to the consenting gold member',
    );
    // Headers unfolded: a long header may continue on indented lines.
    const mails = toAda().map((m) => readFileSync(m.file, 'utf8').replace(/\r?\n[ \t]+/g, ' '));
    assert.deepEqual(mails.map((m) => /^Subject: (.*)$/m.exec(m)?.[1]).sort(), ['Hello, Ada', 'Thank you, Ada']);
    for (const m of mails) {
      assert.match(m, /^List-Unsubscribe: <https:\/\/prefs\.service\.example\//m);
      assert.match(m, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
      assert.match(m, /^DKIM-Signature: .*d=service\.example;/m, 'signed for the sender domain');
    }
    assert.equal(sink.received.filter((m) => m.envelopeTo.includes('ben@example.org')).length, 0);

    process.kill(-worker.pid!, 'SIGTERM');
    await closed;
    assert.deepEqual(runningInGroup(worker.pid!), [], 'nothing of the worker is left running');
    assert.doesNotMatch(workerErr, /\n\s+at /, 'no stack trace');
  },
);
