import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDirSync } from '../private-files.js';
import { Connection } from '@temporalio/client';
import { ServiceStartError, cacheDir, freePort, onPath, portInUse, spawnService, waitUntil } from './process.js';

/** The Temporal CLI version we build from the Go module proxy: the newest tag without `replace` directives. */
export const TEMPORAL_CLI_VERSION = '1.5.1';

/** Search attributes every consentflow namespace needs, registered at dev-server start. */
export const SEARCH_ATTRIBUTES = { CampaignId: 'Keyword', Purpose: 'Keyword', SubjectRef: 'Keyword' } as const;

/** A Temporal frontend the project can talk to, and how to stop it if we started it. */
export interface TemporalService {
  readonly address: string;
  readonly namespace: string;
  readonly source: 'external' | 'path' | 'cache' | 'go-install' | 'sdk-download';
  /** The Web UI, when this dev server serves one. */
  readonly uiUrl?: string;
  stop(): Promise<void>;
}

/** The Web UI of a dev server we start: its loopback port and the codec endpoint it decodes payloads with. */
export interface TemporalUi {
  readonly port: number;
  readonly codecEndpoint?: string;
}

type Obtained = { path: string; source: 'path' | 'cache' | 'go-install' } | { path: undefined; source: 'sdk-download' };

/** Finds or builds the `temporal` CLI: TEMPORAL_CLI_PATH, PATH, the cache, `go install`, then the SDK's download. */
export function obtainTemporalCli(): Obtained {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!existsSync(explicit))
      throw new ServiceStartError(
        `TEMPORAL_CLI_PATH=${explicit} does not exist. Point it at a temporal CLI binary, or unset it to let consentflow build one.`,
      );
    return { path: explicit, source: 'path' };
  }
  const found = onPath('temporal');
  if (found) return { path: found, source: 'path' };
  const cached = join(cacheDir(), 'bin', 'temporal');
  if (existsSync(cached)) return { path: cached, source: 'cache' };
  if (onPath('go')) {
    mkdirSync(dirname(cached), { recursive: true });
    console.error(
      `[setup] building the temporal CLI v${TEMPORAL_CLI_VERSION} with go install into ${dirname(cached)} (a few minutes, once)…`,
    );
    const r = spawnSync(
      'go',
      [
        'install',
        '-ldflags',
        `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
        `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
      ],
      {
        env: { ...process.env, CGO_ENABLED: '0', GOBIN: dirname(cached), GOFLAGS: '-mod=mod' },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 20 * 60_000,
      },
    );
    if (r.status === 0 && existsSync(cached)) return { path: cached, source: 'go-install' };
    const why = (r.stderr?.toString() ?? '').trim().split('\n').slice(-3).join(' | ');
    console.error(
      `[setup] go install of the temporal CLI failed (${why || `exit ${r.status}`}); trying the SDK's download.`,
    );
  }
  return { path: undefined, source: 'sdk-download' };
}

async function reachable(address: string, namespace: string, timeoutMs: number): Promise<boolean> {
  const conn = await Connection.connect({ address, connectTimeout: timeoutMs });
  try {
    await conn.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await conn.close();
  }
}

/** Uses TEMPORAL_ADDRESS when set, else starts a dev server with our search attributes registered. */
export async function startTemporal(opts: {
  externalAddress?: string;
  namespace: string;
  dbFile?: string;
  port?: number;
  ui?: TemporalUi;
}): Promise<TemporalService> {
  if (opts.externalAddress) {
    const ok = await reachable(opts.externalAddress, opts.namespace, 5000).catch((e: unknown) => {
      throw new ServiceStartError(
        `Temporal at TEMPORAL_ADDRESS=${opts.externalAddress} is not reachable (${(e as Error).message}). Start it, fix the address, or unset TEMPORAL_ADDRESS to run an embedded dev server.`,
      );
    });
    void ok;
    return { address: opts.externalAddress, namespace: opts.namespace, source: 'external', stop: async () => {} };
  }
  const port = opts.port ?? (await freePort());
  if (opts.port && (await portInUse(port))) {
    throw new ServiceStartError(
      `Port ${port} is already in use, so the Temporal dev server cannot start there. Stop what holds it, pick another with TEMPORAL_PORT, or set TEMPORAL_ADDRESS to use that server.`,
    );
  }
  const extraArgs = [
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
    // WAL and relaxed sync make the SQLite store fast enough for tests; durability across restarts comes from the file.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
  ];
  const cli = obtainTemporalCli();
  if (cli.path === undefined) return startViaSdk(port, opts, extraArgs);
  if (opts.dbFile) ensurePrivateDirSync(dirname(opts.dbFile));
  // Tests run headless; `dev` asks for the UI, bound to loopback like the server, with our codec endpoint.
  const ui = opts.ui
    ? [
        '--ui-ip',
        '127.0.0.1',
        '--ui-port',
        String(opts.ui.port),
        ...(opts.ui.codecEndpoint ? ['--ui-codec-endpoint', opts.ui.codecEndpoint] : []),
      ]
    : ['--headless'];
  const args = [
    'server',
    'start-dev',
    ...ui,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'error',
    ...extraArgs,
  ];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  const proc = spawnService('temporal', cli.path, args);
  const address = `127.0.0.1:${port}`;
  await waitUntil('temporal dev server', () => reachable(address, opts.namespace, 1000), 60_000, proc);
  return {
    address,
    namespace: opts.namespace,
    source: cli.source,
    ...(opts.ui ? { uiUrl: `http://127.0.0.1:${opts.ui.port}` } : {}),
    stop: () => proc.stop(),
  };
}

async function startViaSdk(
  port: number,
  opts: { namespace: string; dbFile?: string },
  extraArgs: string[],
): Promise<TemporalService> {
  // A development dependency: an installed package reaches this last fallback only if it was installed too.
  const sdk = await import('@temporalio/testing').catch(() => undefined);
  if (!sdk) {
    throw new ServiceStartError(
      `No temporal CLI: not on PATH, not cached in ${cacheDir()}/bin and no working \`go\` to build it. Put a \`temporal\` binary on PATH or in TEMPORAL_CLI_PATH, install Go 1.22+, or set TEMPORAL_ADDRESS to an existing server.`,
    );
  }
  const { TestWorkflowEnvironment } = sdk;
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: { ip: '127.0.0.1', port, namespace: opts.namespace, dbFilename: opts.dbFile, extraArgs },
    });
    return {
      address: `127.0.0.1:${port}`,
      namespace: opts.namespace,
      source: 'sdk-download',
      stop: () => env.teardown(),
    };
  } catch (e) {
    throw new ServiceStartError(
      `No temporal CLI: not on PATH, not cached in ${cacheDir()}/bin, no working \`go\` to build it, and the SDK's download failed (${(e as Error).message}). ` +
        'Install Go 1.22+ so consentflow can build it, put a `temporal` binary on PATH or in TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to an existing server.',
    );
  }
}
