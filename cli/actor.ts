import { Actor, Reason } from '../domain/operator-action.js';
import { CliUsageError } from './context.js';

/** Where the actor of a CLI command can come from. */
export interface ActorSources {
  /** `--actor` on the command line. */
  readonly flag?: string;
  /** `CONSENTFLOW_ACTOR`, then `USER` (only used inside dev). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** True when the command talks to a local `consentflow dev` stack rather than configured services. */
  readonly dev: boolean;
}

/**
 * Who runs an operator command. Outside dev the name must be given: a shared deployment's log has to name a
 * person, and a login name on some jump host is not one.
 */
export function resolveActor(s: ActorSources): string {
  const given = s.flag ?? s.env.CONSENTFLOW_ACTOR;
  const [value, source] =
    given !== undefined
      ? [given, s.flag !== undefined ? '--actor' : 'CONSENTFLOW_ACTOR']
      : s.dev
        ? [s.env.USER ?? 'dev', 'USER']
        : [undefined, ''];
  if (value === undefined) {
    throw new CliUsageError(
      'this command is recorded in the decision log with who ran it: pass --actor <name> or set CONSENTFLOW_ACTOR=<name> (only `consentflow dev` defaults to $USER)',
    );
  }
  const r = Actor.safeParse(value);
  if (!r.success) throw new CliUsageError(`${source} "${value.slice(0, 64)}" ${r.error.issues[0]?.message}`);
  return r.data;
}

/** `--reason`: optional unless `required` names why it is needed for this command. */
export function resolveReason(value: string | undefined, required?: string): string | undefined {
  if (value === undefined) {
    if (required) throw new CliUsageError(`--reason "<why>" is required ${required}`);
    return undefined;
  }
  const r = Reason.safeParse(value.trim());
  if (!r.success) throw new CliUsageError(`--reason ${r.error.issues[0]?.message}`);
  return r.data;
}
