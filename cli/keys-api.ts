import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { keyRotationEntry } from '../domain/operator-action.js';
import { loadDevApiKeys, type DevApiKeys } from '../infra/dev-api-keys.js';
import { replacePrivateFileSync } from '../infra/private-files.js';
import { DecisionLog } from '../infra/redis/decision-log.js';
import { CliUsageError, type CliContext } from './context.js';

const fileOf = (ctx: CliContext): string => join(ctx.config().dataDir, 'api-keys.json');

function load(ctx: CliContext): DevApiKeys {
  if (ctx.config().env.CONSENTFLOW_API_KEYS) {
    throw new CliUsageError(
      'CONSENTFLOW_API_KEYS is set, so API keys come from the environment: issue a new name:role:secret there and remove the old entry.',
    );
  }
  if (!existsSync(fileOf(ctx)))
    throw new CliUsageError(`${fileOf(ctx)} does not exist; run \`consentflow dev\` once or set CONSENTFLOW_API_KEYS`);
  return loadDevApiKeys(ctx.config().dataDir, false)!;
}
function save(ctx: CliContext, keys: DevApiKeys): void {
  replacePrivateFileSync(fileOf(ctx), JSON.stringify(keys, null, 2));
}
const record = (ctx: CliContext, what: string, name: string, actor: string) =>
  DecisionLog.fromConfig(ctx.config(), ctx.redis()).append(
    keyRotationEntry({
      kind: 'api',
      fromKeyId: what === 'issued' ? '-' : name,
      toKeyId: what === 'revoked' ? '-' : name,
      actor,
      at: new Date(),
      detail: `api_key=${what}`,
    }),
  );
const fingerprint = (secret: string): string => `${secret.slice(0, 4)}…`;

/** `keys rotate api --name`: a new secret for that name; the old one stops working when the API restarts. */
export async function rotateApiKey(
  ctx: CliContext,
  o: { name?: string; actor?: string; json?: boolean },
  actor: string,
): Promise<void> {
  if (!o.name) throw new CliUsageError('keys rotate api needs --name <name> (see the names in api-keys.json)');
  const all = load(ctx);
  const at = all.findIndex((k) => k.name === o.name);
  if (at < 0) throw new CliUsageError(`no API key named "${o.name}"; names: ${all.map((k) => k.name).join(', ')}`);
  const secret = randomBytes(24).toString('base64url');
  save(
    ctx,
    all.map((k, i) => (i === at ? { ...k, secret } : k)),
  );
  await record(ctx, 'rotated', o.name, actor);
  ctx.print(
    o.json,
    { name: o.name, role: all[at]!.role, secret },
    () =>
      `${o.name} (${all[at]!.role}): new secret ${secret}; the old one (${fingerprint(all[at]!.secret)}) is revoked. Restart the API to apply.`,
  );
}

/** `keys issue-api`, `keys revoke-api`: API keys in the local keys file, by name. */
export function registerApiKeyCommands(
  keys: Command,
  ctx: CliContext,
  actorOf: (o: { actor?: string }) => string,
): void {
  keys
    .command('issue-api')
    .description('issue a new API key')
    .requiredOption('--name <name>', 'a unique name')
    .requiredOption('--role <role>', 'marketer, reviewer or admin')
    .option('--actor <who>', 'who issues it; default CONSENTFLOW_ACTOR; only `dev` falls back to $USER')
    .option('--json', 'print as JSON')
    .action(async (o: { name: string; role: string; actor?: string; json?: boolean }) => {
      if (!['marketer', 'reviewer', 'admin'].includes(o.role))
        throw new CliUsageError(`--role "${o.role}" must be marketer, reviewer or admin`);
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(o.name))
        throw new CliUsageError(`--name "${o.name.slice(0, 64)}" must be 1-64 of A-Z a-z 0-9 _ . -`);
      const all = load(ctx);
      if (all.some((k) => k.name === o.name))
        throw new CliUsageError(
          `an API key named "${o.name}" exists; rotate it with \`keys rotate api --name ${o.name}\``,
        );
      const secret = randomBytes(24).toString('base64url');
      save(ctx, [...all, { name: o.name, role: o.role as DevApiKeys[number]['role'], secret }]);
      await record(ctx, 'issued', o.name, actorOf(o));
      ctx.print(
        o.json,
        { name: o.name, role: o.role, secret },
        () => `${o.name} (${o.role}): ${secret}. Restart the API to apply.`,
      );
    });
  keys
    .command('revoke-api')
    .description('revoke an API key by name')
    .requiredOption('--name <name>', 'the key to revoke')
    .option('--actor <who>', 'who revokes it; default CONSENTFLOW_ACTOR; only `dev` falls back to $USER')
    .action(async (o: { name: string; actor?: string }) => {
      const all = load(ctx);
      if (!all.some((k) => k.name === o.name))
        throw new CliUsageError(`no API key named "${o.name}"; names: ${all.map((k) => k.name).join(', ')}`);
      save(
        ctx,
        all.filter((k) => k.name !== o.name),
      );
      await record(ctx, 'revoked', o.name, actorOf(o));
      console.log(`${o.name} revoked. Restart the API to apply.`);
    });
}
