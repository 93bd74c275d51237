import { createWriteStream } from 'node:fs';
import { alertChainBreak } from './chain-alert.js';
import { PRIVATE_FILE_MODE } from '../infra/private-files.js';
import { once } from 'node:events';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { LogKind, LogOutcome, type LogEntry } from '../domain/decision-log.js';
import { DecisionLog } from '../infra/redis/decision-log.js';
import type { LogQuery } from '../infra/redis/decision-log-query.js';
import { type CliContext, CliUsageError, type RegisterCommands } from './context.js';
import { type SubjectOption, subjectRefOf } from './subject-stores.js';
import { runReplay, type ReplayOptions } from './log-replay.js';
import { Actor, OperatorAction } from '../domain/operator-action.js';
import { resolveReason } from './actor.js';
import { operatorOf, operatorOptions, recordOperator, type OperatorOptions } from './operator-log.js';

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Parses a --since/--until value, naming the flag and the accepted forms when it is not a date. */
function dateFlag(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const t = DATE.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t))
    throw new CliUsageError(
      `${flag} "${value}" is not a date; use ISO 8601 such as 2025-01-31 or 2025-01-31T12:00:00Z`,
    );
  return new Date(t);
}

function period(o: { since?: string; until?: string }): { since?: Date; until?: Date } {
  const since = dateFlag('--since', o.since);
  const until = dateFlag('--until', o.until);
  if (since && until && since >= until)
    throw new CliUsageError(`--since (${o.since}) must be before --until (${o.until})`);
  return { since, until };
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: Record<string, T>): T | undefined {
  if (value === undefined) return undefined;
  if (!Object.values(allowed).includes(value as T))
    throw new CliUsageError(`${flag} "${value}" is unknown; use one of: ${Object.values(allowed).join(', ')}`);
  return value as T;
}

interface QueryOptions extends SubjectOption {
  campaign?: string;
  purpose?: string;
  outcome?: string;
  kind?: string;
  reason?: string;
  actor?: string;
  as?: string;
  why?: string;
  since?: string;
  until?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
const row = (e: LogEntry) =>
  [
    pad(e.at, 24),
    pad(e.kind, 8),
    pad(e.outcome, 8),
    pad(e.subjectRef, 25),
    pad(e.campaignId ?? '-', 18),
    pad(e.purpose ?? '-', 26),
    pad(e.channel ?? '-', 6),
    e.reasons.join(',') || '-',
  ].join(' ');
const header = [
  'at'.padEnd(24),
  'kind'.padEnd(8),
  'outcome'.padEnd(8),
  'subjectRef'.padEnd(25),
  'campaign'.padEnd(18),
  'purpose'.padEnd(26),
  'chan'.padEnd(6),
  'reasons',
].join(' ');

function actorFilter(v: string): string {
  const r = Actor.safeParse(v);
  if (!r.success) throw new CliUsageError(`--actor "${v.slice(0, 64)}" ${r.error.issues[0]?.message}`);
  return r.data;
}

// What was asked for, as q.key=value facts (never read as the entry's own actor); the subject only by its ref.
const describeFilter = (f: LogQuery): string =>
  Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `q.${k}=${v instanceof Date ? v.toISOString() : String(v)}`)
    .join(' ');

async function runQuery(ctx: CliContext, o: QueryOptions): Promise<void> {
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new CliUsageError(`--limit "${o.limit}" must be a whole number from 1 to 10000`);
  const filter: LogQuery = {
    ...period(o),
    subjectRef: o.subject !== undefined || o.ref !== undefined ? subjectRefOf(o, ctx) : undefined,
    campaignId: o.campaign,
    purpose: o.purpose,
    outcome: oneOf('--outcome', o.outcome, LogOutcome),
    kind: oneOf('--kind', o.kind, LogKind),
    reason: o.reason,
    actor: o.actor === undefined ? undefined : actorFilter(o.actor),
  };
  // Here --actor filters; who is reading is --as (or CONSENTFLOW_ACTOR), and the read is logged before it happens.
  const op = { actor: ctx.actor(o.as), reason: resolveReason(o.why) };
  await recordOperator(ctx, op, { action: OperatorAction.log_queried, detail: describeFilter(filter) });
  let page;
  try {
    page = await DecisionLog.fromConfig(ctx.config(), ctx.redis()).queryPage(filter, limit, o.cursor);
  } catch (e) {
    if (e instanceof RangeError) throw new CliUsageError(`--cursor: ${e.message}`);
    throw e;
  }
  ctx.print(o.json, page, () =>
    [
      header,
      ...page.entries.map(row),
      page.entries.length ? '' : '(no matching entries)',
      page.cursor ? `more: --cursor ${page.cursor}` : '',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
}

async function runVerify(ctx: CliContext, o: OperatorOptions & { json?: boolean; witness: boolean }): Promise<void> {
  const op = operatorOf(ctx, o);
  const bar =
    !o.json && process.stderr.isTTY
      ? new SingleBar(
          { format: 'verify [{bar}] {percentage}% {value}/{total} entries', stream: process.stderr },
          Presets.shades_classic,
        )
      : null;
  let started = false;
  const report = await DecisionLog.fromConfig(ctx.config(), ctx.redis()).verify({
    recordWitness: o.witness,
    onProgress: ({ checked, total }) => {
      // Only big logs get a bar; small ones finish before it would be read.
      if (!bar || total < 10_000) return;
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(Math.min(checked, total));
    },
  });
  if (started) bar?.stop();
  await recordOperator(ctx, op, {
    action: OperatorAction.log_verified,
    detail: `ok=${report.ok} entries=${report.entries} breaks=${report.breaks.length}`,
  });
  // Removed ranges are retention's doing, recorded in the signed manifest: reported, never counted as breaks.
  const removed = report.removed.map(
    (r) =>
      `  chain ${r.partition}: seq ${r.firstSeq}..${r.lastSeq} (${r.count} entries, ${new Date(r.fromMs).toISOString()} to ${new Date(r.toMs).toISOString()}) removed by retention; verified from its kept hash`,
  );
  ctx.print(o.json, report, () =>
    [
      report.ok
        ? `ok: ${report.entries} entries in ${report.partitions} chains (${report.segments} sealed segments) verify${report.witnessed ? '; heads witnessed' : ''}`
        : [
            'BROKEN:',
            ...report.breaks.map(
              (b) =>
                `  chain ${b.partition} at seq ${b.seq}${b.streamId ? ` (stream id ${b.streamId})` : ''}: ${b.kind}: ${b.detail}`,
            ),
          ].join('\n'),
      ...removed,
    ].join('\n'),
  );
  if (!report.ok) {
    process.exitCode = 1;
    await alertChainBreak(ctx, report);
  }
}

async function runExport(
  ctx: CliContext,
  o: OperatorOptions & { format: string; since?: string; until?: string; out?: string },
): Promise<void> {
  const format = oneOf('--format', o.format, { jsonl: 'jsonl', csv: 'csv' } as const)!;
  const range = period(o);
  const op = operatorOf(ctx, o);
  const out = o.out ? createWriteStream(o.out, { flags: 'wx', mode: PRIVATE_FILE_MODE }) : process.stdout;
  if (o.out)
    await once(out, 'open').catch((e: Error) =>
      Promise.reject(
        new CliUsageError(
          `--out ${o.out}: ${e.message.includes('EEXIST') ? 'the file exists; choose a new name' : e.message}`,
        ),
      ),
    );
  await recordOperator(ctx, op, {
    action: OperatorAction.log_exported,
    detail: `format=${format}${range.since ? ` since=${range.since.toISOString()}` : ''}${range.until ? ` until=${range.until.toISOString()}` : ''}`,
  });
  let n = 0;
  for await (const line of DecisionLog.fromConfig(ctx.config(), ctx.redis()).exportEntries({ format, ...range })) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
    n++;
  }
  if (o.out) {
    out.end();
    await once(out, 'finish');
    console.error(`exported ${format === 'csv' ? n - 1 : n} entries to ${o.out}`);
  }
}

async function runSeal(ctx: CliContext, o: { before: string; json?: boolean }): Promise<void> {
  const before = dateFlag('--before', o.before)!;
  const r = await DecisionLog.fromConfig(ctx.config(), ctx.redis()).seal(before);
  ctx.print(
    o.json,
    r,
    () =>
      `sealed ${r.segments.reduce((a, s) => a + s.count, 0)} entries into ${r.segments.length} segments; trimmed ${r.trimmed} from Redis`,
  );
}

/** Adds `log query|verify|export|replay|seal`, the reviewer commands over the decision log. */
export const registerLogCommands: RegisterCommands = (program: Command, ctx: CliContext) => {
  const log = program.command('log').description('Query, verify, export and seal the tamper-evident decision log');
  log
    .command('query')
    .description('List log entries matching the filters, oldest first')
    .option('--subject <id>', 'subject id; turned into its subjectRef locally, never sent anywhere')
    .option('--ref <subjectRef>', 'subjectRef (sr_…) instead of --subject')
    .option('--campaign <id>', 'campaign id')
    .option('--purpose <id>', 'purpose id, e.g. marketing.email.newsletter')
    .option('--outcome <outcome>', `one of ${Object.values(LogOutcome).join(', ')}`)
    .option('--kind <kind>', `one of ${Object.values(LogKind).join(', ')}`)
    .option('--reason <code>', 'a reason code, e.g. consent_withdrawn')
    .option('--actor <name>', 'operator entries of this actor (an API key name or a CLI --actor)')
    .option(
      '--as <name>',
      'who is reading, recorded in the log (default CONSENTFLOW_ACTOR; only `dev` falls back to $USER)',
    )
    .option('--why <text>', 'why you read the log (kept in the log, no personal data)')
    .option('--since <date>', 'entries at or after this ISO 8601 date/time')
    .option('--until <date>', 'entries before this ISO 8601 date/time')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print JSON')
    .action((o: QueryOptions) => runQuery(ctx, o));
  operatorOptions(log.command('verify'))
    .description('Check every chain from its start; exits 1 and names the first broken position and kind')
    .option('--no-witness', 'do not record the verified heads in the signed witness file')
    .option('--json', 'print JSON')
    .action((o: OperatorOptions & { json?: boolean; witness: boolean }) => runVerify(ctx, o));
  operatorOptions(log.command('export'))
    .description('Write the entries of a period with stable columns')
    .requiredOption('--format <format>', 'jsonl or csv')
    .option('--since <date>', 'entries at or after this ISO 8601 date/time')
    .option('--until <date>', 'entries before this ISO 8601 date/time')
    .option('--out <file>', 'write to a new file instead of stdout')
    .action((o: OperatorOptions & { format: string; since?: string; until?: string; out?: string }) =>
      runExport(ctx, o),
    );
  operatorOptions(log.command('replay'))
    .description(
      'Re-decide logged decisions with their recorded policy version and the consent events as they stood then; exits 1 on any mismatch',
    )
    .argument('[entryId]', 'one decision entry id')
    .option('--since <date>', 'decisions at or after this ISO 8601 date/time')
    .option('--until <date>', 'decisions before this ISO 8601 date/time')
    .option('--json', 'print JSON')
    .action((entryId: string | undefined, o: ReplayOptions) => runReplay(ctx, entryId, o, period(o)));
  log
    .command('seal')
    .description('Move entries older than --before into compressed segment files and trim them from Redis')
    .requiredOption('--before <date>', 'end of the closed period (ISO 8601, in the past)')
    .option('--json', 'print JSON')
    .action((o: { before: string; json?: boolean }) => runSeal(ctx, o));
};
