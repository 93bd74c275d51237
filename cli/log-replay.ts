import { OperatorAction } from '../domain/operator-action.js';
import { replayDecisions, type ReplayReport, type ReplaySelection } from '../infra/decision-replay.js';
import { DecisionLog } from '../infra/redis/decision-log.js';
import { type CliContext, CliUsageError } from './context.js';
import { operatorOf, recordOperator, type OperatorOptions } from './operator-log.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Options of `log replay`. */
export interface ReplayOptions extends OperatorOptions {
  readonly since?: string;
  readonly until?: string;
  readonly json?: boolean;
}

function human(r: ReplayReport): string {
  const lines = [
    `replayed ${r.replayed} decision(s): ${r.matched} match, ${r.mismatched} mismatch, ${r.notReplayable} not replayable`,
  ];
  for (const f of r.findings) {
    const what = f.replayed
      ? `logged ${f.logged.outcome} [${f.logged.reasons.join(', ')}], replayed ${f.replayed.outcome} [${f.replayed.reasons.join(', ')}]`
      : `logged ${f.logged.outcome}`;
    lines.push(
      `${f.status === 'mismatch' ? 'MISMATCH' : 'skipped '} ${f.entryId} ${f.subjectRef} at ${f.at}: ${what}; ${f.notes.join('; ')}`,
    );
  }
  return lines.join('\n');
}

/**
 * `log replay <entryId> | --since … --until …`: re-decides logged decisions with their recorded policy version and
 * the consent events as they stood then; exits 1 on any mismatch. The replay is recorded as an operator entry.
 */
export async function runReplay(
  ctx: CliContext,
  entryId: string | undefined,
  o: ReplayOptions,
  range: { since?: Date; until?: Date },
): Promise<void> {
  if (entryId !== undefined && (o.since !== undefined || o.until !== undefined))
    throw new CliUsageError('give either an entry id or --since/--until, not both');
  if (entryId === undefined && o.since === undefined && o.until === undefined)
    throw new CliUsageError('give an entry id, or a period with --since and/or --until');
  if (entryId !== undefined && !ULID.test(entryId))
    throw new CliUsageError(
      `entry id "${entryId.slice(0, 40)}" is not a log entry id (26 characters, like 01JZ1QYXMA1MQZDVXVY7HQE6MW); find one with \`consentflow log query\``,
    );
  const op = operatorOf(ctx, o);
  const s = await ctx.services();
  const log = DecisionLog.fromConfig(ctx.config(), ctx.redis());
  const sel: ReplaySelection = entryId !== undefined ? { entryId } : range;
  const report = await replayDecisions(
    { log, consent: s.consent, bundles: s.bundles, redis: ctx.redis(), keys: s.keys },
    sel,
  );
  if (report === null)
    throw new CliUsageError(`no decision entry ${entryId}; find one with \`consentflow log query --kind decision\``);
  const scope =
    entryId !== undefined
      ? `entry=${entryId}`
      : `since=${range.since?.toISOString() ?? 'start'} until=${range.until?.toISOString() ?? 'now'}`;
  await recordOperator(ctx, op, {
    action: OperatorAction.log_replayed,
    detail: `replayed=${report.replayed} mismatched=${report.mismatched} ${scope}`,
  });
  ctx.print(o.json, report, () => human(report));
  if (report.mismatched > 0) process.exitCode = 1;
}
