import type { Command } from 'commander';
import { ChannelSchema } from '../domain/channel.js';
import { OperatorAction } from '../domain/operator-action.js';
import { SuppressionKind } from '../domain/suppression.js';
import { CliUsageError, type CliContext } from './context.js';
import { operatorOf, operatorOptions, recordOperator, type OperatorOptions } from './operator-log.js';
import { type SubjectOption, subjectRefOf, subjectStores } from './subject-stores.js';

// Staff may clear what the system concluded (a bounce, an age flag); what the subject asked for only the subject can
// undo, through the preference centre, and an erasure is never undone.
const STAFF_LIFTABLE: readonly SuppressionKind[] = ['hard_bounce', 'minor'];

/** `consent lift-suppression`: removes a bounce or minor suppression, with a required reason, as an operator entry. */
export function addSuppressionLiftCommand(consent: Command, ctx: CliContext): void {
  operatorOptions(
    consent
      .command('lift-suppression')
      .description(`lift a suppression staff may lift (${STAFF_LIFTABLE.join(', ')}); recorded with actor and reason`)
      .option('--subject <id>', 'the subject id as your systems know it')
      .option('--ref <subjectRef>', 'the subject by its pseudonymous ref instead')
      .requiredOption('--kind <kind>', `the suppression: ${STAFF_LIFTABLE.join(' or ')}`)
      .option('--channel <channel>', 'the channel the suppression names, if any (a hard bounce names email)'),
    'why it no longer applies (required; kept in the decision log, no personal data)',
  )
    .option('--json', 'print the result as JSON')
    .action(async (o: SubjectOption & OperatorOptions & { kind: string; channel?: string; json?: boolean }) => {
      if (!(STAFF_LIFTABLE as string[]).includes(o.kind)) {
        const known = (Object.values(SuppressionKind) as string[]).includes(o.kind);
        throw new CliUsageError(
          known
            ? `--kind ${o.kind} cannot be lifted by staff: only the subject can undo it (preference centre)${o.kind === 'erased' ? ', and an erasure is never undone' : ''}`
            : `--kind "${o.kind.slice(0, 40)}" is unknown; staff may lift ${STAFF_LIFTABLE.join(' or ')}`,
        );
      }
      const channel = o.channel === undefined ? undefined : ChannelSchema.safeParse(o.channel);
      if (channel && !channel.success)
        throw new CliUsageError(
          `--channel "${o.channel!.slice(0, 20)}" is unknown; channels: ${ChannelSchema.options.join(', ')}`,
        );
      const op = operatorOf(ctx, o, 'to lift a suppression: the log keeps why this subject may be contacted again');
      const ref = subjectRefOf(o, ctx);
      const { consent: store } = await subjectStores(ctx);
      const r = await store.unsuppress(ref, o.kind as SuppressionKind, channel?.data);
      if (r === 'removed')
        await recordOperator(ctx, op, {
          action: OperatorAction.suppression_lifted,
          subjectRef: ref,
          channel: channel?.data,
          detail: `kind=${o.kind}`,
        });
      else process.exitCode = 1;
      ctx.print(o.json, { subjectRef: ref, kind: o.kind, result: r }, () =>
        r === 'removed'
          ? `lifted ${o.kind} for ${ref} (recorded for ${op.actor})`
          : `${ref} has no ${o.kind} suppression${o.channel ? ` on ${o.channel}` : ''}; nothing lifted`,
      );
    });
}
