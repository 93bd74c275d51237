import { SingleBar } from 'cli-progress';
import { buildConfig } from '../infra/config.js';
import { keyringPath, readKeyring, writeKeyring } from '../infra/dev-keys.js';
import {
  fileRings,
  KeyRotationError,
  retire,
  rewrapAll,
  ROTATABLE,
  rotateKey,
  rotateLogKey,
  type Rotatable,
} from '../infra/key-rotation.js';
import { LogHandoverError } from '../infra/redis/decision-log-handover.js';
import { KEY_KINDS, type KeyKind } from '../infra/keyring.js';
import { CliUsageError, type CliContext, type RegisterCommands } from './context.js';
import { registerApiKeyCommands, rotateApiKey } from './keys-api.js';

const WHY_NOT: Readonly<Record<string, string>> = {
  pseudonym:
    'the pseudonym key is not rotated: every subjectRef in the log, Temporal history and search attributes is derived from it, and the hash chain covers them (see "Keys and rotation" in the README)',
  log: 'an old log key is never retired: verify checks the entries written under it, in Redis and in sealed segments, for as long as the log is kept',
  api: 'API keys are rotated by name: `consentflow keys rotate api --name <name>`',
};

const fileOf = (ctx: CliContext): string =>
  keyringPath(ctx.config().dataDir, ctx.config().env.CONSENTFLOW_KEYRING_FILE);
const rotatable = (kind: string): Rotatable => {
  if ((ROTATABLE as readonly string[]).includes(kind)) return kind as Rotatable;
  if (WHY_NOT[kind]) throw new CliUsageError(WHY_NOT[kind]!);
  throw new CliUsageError(`"${kind}" is not a key; use one of ${[...KEY_KINDS, 'api'].join(', ')}`);
};
const usage = async <T>(fn: () => Promise<T>): Promise<T> =>
  fn().catch((e: unknown) => {
    throw e instanceof KeyRotationError || e instanceof LogHandoverError ? new CliUsageError(e.message) : e;
  });

async function rotateLog(ctx: CliContext, o: { actor?: string; json?: boolean }): Promise<void> {
  const actor = ctx.actor(o.actor);
  const r = await usage(() =>
    rotateLogKey({ env: ctx.config().env, file: fileOf(ctx), actor, redis: ctx.redis(), now: new Date() }),
  );
  const what = r.resumed ? `finished the handover to ${r.to}` : `${r.from.join(', ')} → ${r.to}`;
  ctx.print(
    o.json,
    { key: 'log', ...r },
    () =>
      `log: ${what}; ${r.handedOver} of ${r.partitions} chains record the signed rotation, and entries before it still verify under the old key. Restart workers and the API now: until they hold the new key their appends are refused and nothing is sent.`,
  );
}

/** `keys show|rotate|rewrap|retire|upgrade`: the keyring and its rotations (each one recorded in the decision log). */
export const registerKeyCommands: RegisterCommands = (program, ctx) => {
  const actorOf = (o: { actor?: string }): string => ctx.actor(o.actor);
  const keys = program.command('keys').description('the keyring: key ids, rotation, retirement');
  keys
    .command('show')
    .description('each key: current id, age, previous ids (never key material)')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const now = Date.now();
      const rings = ctx.config().secrets.rings;
      const rows = (Object.keys(rings) as KeyKind[]).map((k) => {
        const c = rings[k].current;
        return {
          key: k,
          id: c.id,
          since: c.createdAt ?? null,
          ageDays: c.createdAt ? Math.floor((now - Date.parse(c.createdAt)) / 86_400_000) : null,
          previous: rings[k].previous.map((p) => p.id),
        };
      });
      ctx.print(o.json, rows, () =>
        rows
          .map(
            (r) =>
              `${r.key.padEnd(10)} ${r.id.padEnd(28)} ${r.ageDays === null ? 'age unknown' : `${r.ageDays} days`}  previous: ${r.previous.join(', ') || '-'}`,
          )
          .join('\n'),
      );
    });
  keys
    .command('rotate')
    .description('make a fresh key current (master|codec|token|log), keeping the old one readable; api keys by --name')
    .argument('<key>', `one of ${[...KEY_KINDS, 'api'].join(', ')}`)
    .option('--name <name>', 'api: the API key to re-issue')
    .option(
      '--actor <who>',
      'who rotates (recorded in the decision log); default CONSENTFLOW_ACTOR; only `dev` falls back to $USER',
    )
    .option('--json', 'print the result as JSON')
    .action(async (kind: string, o: { name?: string; actor?: string; json?: boolean }) => {
      if (kind === 'api') return rotateApiKey(ctx, o, actorOf(o));
      if (kind === 'log') return rotateLog(ctx, o);
      const k = rotatable(kind);
      const cfg = ctx.config();
      const r = await usage(() =>
        rotateKey({ env: cfg.env, file: fileOf(ctx), kind: k, actor: actorOf(o), redis: ctx.redis(), now: new Date() }),
      );
      const next =
        k === 'master'
          ? ' Restart workers and the API so they hold the new key, then run `consentflow keys rewrap`.'
          : ' Restart workers and the API to use it.';
      ctx.print(o.json, { key: k, ...r }, () => `${k}: ${r.from} → ${r.to}; ${r.from} stays readable.${next}`);
    });
  registerApiKeyCommands(keys, ctx, actorOf);
  keys
    .command('rewrap')
    .description('re-wrap every subject data key under the current master key (resumable: run again to finish)')
    .option('--actor <who>', 'who runs it; default CONSENTFLOW_ACTOR; only `dev` falls back to $USER')
    .option('--json', 'print the counts as JSON')
    .action(async (o: { actor?: string; json?: boolean }) => {
      const bar =
        !o.json && process.stderr.isTTY
          ? new SingleBar({
              format: 're-wrapping | {value} subjects scanned | {rewrapped} re-wrapped',
              stream: process.stderr,
            })
          : undefined;
      bar?.start(0, 0, { rewrapped: 0 });
      const r = await rewrapAll({
        env: ctx.config().env,
        file: fileOf(ctx),
        redis: ctx.redis(),
        policy: await ctx.policy(),
        onProgress: (done, rewrapped) => bar?.update(done, { rewrapped }),
      }).finally(() => bar?.stop());
      ctx.print(
        o.json,
        r,
        () => `${r.scanned} subjects scanned, ${r.rewrapped} data keys re-wrapped under the current master key`,
      );
    });
  keys
    .command('retire')
    .description('drop a previous key (master: only once no data key uses it)')
    .argument('<key>', ROTATABLE.join('|'))
    .argument('<keyId>', 'the previous key id, from `keys show`')
    .action(async (kind: string, keyId: string) => {
      await usage(async () =>
        retire({
          env: ctx.config().env,
          file: fileOf(ctx),
          kind: rotatable(kind),
          keyId,
          redis: ctx.redis(),
          policy: await ctx.policy(),
        }),
      );
      console.log(`${kind}: ${keyId} retired`);
    });
  keys
    .command('upgrade')
    .description('give a keyring file written by an older version key ids (the ids it already used)')
    .action(() => {
      const file = fileOf(ctx);
      const cfg = buildConfig(ctx.config().env, readKeyring(file));
      writeKeyring(file, { ...cfg.secrets.rings });
      fileRings(ctx.config().env, file);
      console.log(
        `${file}: key ids ${Object.values(cfg.secrets.rings)
          .map((r) => r.current.id)
          .join(', ')}`,
      );
    });
};
