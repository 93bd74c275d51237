import { SubjectId, SubjectRef } from '../domain/ids.js';
import { createPseudonymizer } from '../infra/crypto/pseudonym.js';
import type { ConsentStore } from '../infra/redis/consent-store.js';
import type { SubjectStore } from '../infra/redis/subject-store.js';
import { type CliContext, CliUsageError } from './context.js';

/** The consent and subject stores wired from the CLI context (opened lazily by the command that needs them). */
export async function subjectStores(ctx: CliContext): Promise<{ consent: ConsentStore; subjects: SubjectStore }> {
  const { consent, subjects } = await ctx.services();
  return { consent, subjects };
}

/** Options naming a subject: its id (pseudonymised here) or, for people who only see logs, its ref. */
export interface SubjectOption {
  readonly subject?: string;
  readonly ref?: string;
}

/** Resolves `--subject` / `--ref` to a subjectRef, or a usage error saying exactly what is wrong. */
export function subjectRefOf(opts: SubjectOption, ctx: CliContext): SubjectRef {
  if (opts.subject !== undefined && opts.ref !== undefined)
    throw new CliUsageError('give either --subject or --ref, not both');
  if (opts.ref !== undefined) {
    const r = SubjectRef.safeParse(opts.ref);
    if (!r.success)
      throw new CliUsageError(
        `--ref "${opts.ref}" is malformed: a subjectRef is sr_ followed by 22 base64url characters`,
      );
    return r.data;
  }
  if (opts.subject === undefined) throw new CliUsageError('--subject <id> is required (or --ref <subjectRef>)');
  const id = SubjectId.safeParse(opts.subject);
  // The id is the operator's own input, but it is personal data: the message describes it without echoing it.
  if (!id.success)
    throw new CliUsageError(`--subject is malformed: ${id.error.issues[0]?.message ?? 'invalid subject id'}`);
  return createPseudonymizer(ctx.config().secrets.pseudonymKey)(id.data);
}
