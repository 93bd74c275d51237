import type { Command } from 'commander';
import { operatorEntry, type OperatorActionInput } from '../domain/operator-action.js';
import { DecisionLog } from '../infra/redis/decision-log.js';
import { resolveReason } from './actor.js';
import type { CliContext } from './context.js';

/** `--actor` and `--reason` as every operator command takes them. */
export interface OperatorOptions {
  actor?: string;
  reason?: string;
}

/** Who acts and why, resolved before the command does anything, so a missing actor changes nothing. */
export interface Operator {
  readonly actor: string;
  readonly reason?: string;
}

/** Adds `--actor` and `--reason` to an operator command. */
export function operatorOptions(
  cmd: Command,
  reasonHelp = 'why (kept in the decision log; no personal data)',
): Command {
  return cmd
    .option(
      '--actor <name>',
      'who runs this, recorded in the decision log (default CONSENTFLOW_ACTOR; only `dev` falls back to $USER)',
    )
    .option('--reason <why>', reasonHelp);
}

/** The actor and reason of this run; `reasonRequired` says why a reason is mandatory for this command. */
export function operatorOf(ctx: CliContext, o: OperatorOptions, reasonRequired?: string): Operator {
  const actor = ctx.actor(o.actor);
  const reason = resolveReason(o.reason, reasonRequired);
  return reason === undefined ? { actor } : { actor, reason };
}

/**
 * Appends the action to the decision log. Reads call it before they print (an access that cannot be recorded
 * does not happen); changes call it once they took effect.
 */
export async function recordOperator(
  ctx: CliContext,
  op: Operator,
  a: Omit<OperatorActionInput, 'actor' | 'reason' | 'at'>,
): Promise<void> {
  await DecisionLog.fromConfig(ctx.config(), ctx.redis()).append(operatorEntry({ ...a, ...op, at: new Date() }));
}
