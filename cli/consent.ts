import type { Command } from 'commander';
import { ulid } from 'ulid';
import { type ConsentEvent, ConsentMethod, type ConsentEventType } from '../domain/consent.js';
import { OperatorAction } from '../domain/operator-action.js';
import { type Operator, operatorOf, operatorOptions, recordOperator } from './operator-log.js';
import { buildConsentEvent } from '../domain/consent-record.js';
import type { ConsentStore } from '../infra/redis/consent-store.js';
import { startPropagation } from '../infra/temporal/rights.js';
import { addConsentImportCommand } from './consent-import.js';
import { addSuppressionLiftCommand } from './suppression-lift.js';
import { type CliContext, CliUsageError, type RegisterCommands } from './context.js';
import { type SubjectOption, subjectRefOf, subjectStores } from './subject-stores.js';

interface RecordOptions extends SubjectOption {
  purpose: string;
  channel: string;
  noticeVersion?: string;
  language: string;
  collectionPoint: string;
  method?: string;
  jurisdiction: string;
  source?: string;
  actor?: string;
  reason?: string;
  pending?: boolean;
  givenBy?: string;
  occurredAt?: string;
  json?: boolean;
}

const FLAG: Readonly<Record<string, string>> = {
  noticeVersion: '--notice-version',
  collectionPoint: '--collection-point',
  occurredAt: '--occurred-at',
  givenBy: '--given-by',
};

/** Builds the event from the options through the shared consent-record rules; a refusal names the flag. */
async function eventFrom(
  type: ConsentEventType,
  o: RecordOptions,
  op: Operator,
  ctx: CliContext,
  now: Date,
): Promise<ConsentEvent> {
  const noticeVersion = o.noticeVersion === undefined ? undefined : Number(o.noticeVersion);
  const r = buildConsentEvent(
    {
      type,
      subjectRef: subjectRefOf(o, ctx),
      purpose: o.purpose,
      channel: o.channel,
      noticeVersion,
      language: o.language,
      collectionPoint: o.collectionPoint,
      method: ConsentMethod.staff,
      jurisdiction: o.jurisdiction,
      source: `staff:${op.actor}`,
      pending: o.pending,
      givenBy: o.givenBy,
      occurredAt: o.occurredAt,
    },
    await ctx.policy(),
    now,
    ulid(now.getTime()),
  );
  if (!r.ok)
    throw new CliUsageError(
      r.code === 'no_notice_in_force'
        ? `no notice in ${o.language} is in force yet; pass --notice-version`
        : `${FLAG[r.field] ?? `--${r.field}`} ${r.problem}`,
    );
  return r.event;
}

// A grant typed in by staff creates the permission to mail someone: the log must say on what evidence.
const REASON_REQUIRED: Readonly<Record<ConsentEventType, string | undefined>> = {
  granted: "to record a grant on a subject's behalf: say where they gave it (a ticket, a call, a signed form)",
  reconfirmed:
    "to record a confirmation on a subject's behalf: say where they gave it (a ticket, a call, a signed form)",
  withdrawn: undefined,
  expired: undefined,
};
const REASON_HELP: Readonly<Record<ConsentEventType, string>> = {
  granted: 'where the subject gave it (required; kept in the decision log, no personal data)',
  reconfirmed: 'where the subject confirmed it (required; kept in the decision log, no personal data)',
  withdrawn: 'why (kept in the decision log, no personal data)',
  expired: 'why (kept in the decision log, no personal data)',
};

/** Staff never record a consent that reads as the subject's own act (a form, the preference centre, an API capture). */
function staffOnly(o: RecordOptions): void {
  if (o.method !== undefined && o.method !== ConsentMethod.staff) {
    throw new CliUsageError(
      `--method "${o.method.slice(0, 40)}" is refused: consent entered from the CLI is recorded as method staff with the actor; a subject's own answer comes through the API, a form or the preference centre (or \`consent import\` for a migration)`,
    );
  }
  if (o.source !== undefined)
    throw new CliUsageError(
      '--source is refused: consent entered from the CLI is recorded with source staff:<actor>; say where the subject answered in --reason',
    );
}

const describeEvent = (e: ConsentEvent) =>
  `${e.type}${e.pending ? ' (pending confirmation)' : ''}${e.givenBy === 'guardian' ? ' (by guardian)' : ''}  ${e.purpose} via ${e.channel}  notice v${e.noticeVersion}  ${e.method} at ${e.collectionPoint}  ${e.occurredAt}  [${e.id}]`;

function recordCommand(parent: Command, ctx: CliContext, type: ConsentEventType, description: string): Command {
  const cmd = parent
    .command(
      type === 'granted' ? 'grant' : type === 'withdrawn' ? 'withdraw' : type === 'expired' ? 'expire' : 'reconfirm',
    )
    .description(description)
    .option('--subject <id>', 'the subject id as your systems know it')
    .option('--ref <subjectRef>', 'the subject by its pseudonymous ref instead')
    .requiredOption('--purpose <purpose>', 'purpose id from policy/purposes.ts, e.g. marketing.email.newsletter')
    .requiredOption('--channel <channel>', 'email or sms')
    .option('--notice-version <n>', 'privacy notice version shown (default: the one in force)')
    .option('--language <tag>', 'language of the notice shown', 'en')
    .option('--collection-point <where>', 'where the answer was collected', 'cli')
    .option('--method <method>', 'always staff: consent entered here is recorded as staff-entered, with the actor')
    .option('--jurisdiction <code>', 'jurisdiction, e.g. CN, DE, EU, US-CA', 'EU')
    .option(
      '--source <source>',
      'not accepted: the source is staff:<actor>; say where the subject answered in --reason',
    )
    .option('--given-by <who>', "subject, or guardian when a minor's guardian answered")
    .option(
      '--occurred-at <time>',
      'when the subject answered, if not now (ISO 8601 with offset; not in the future, not before the notice)',
    )
    .option('--json', 'print the event as JSON');
  if (type === 'granted') cmd.option('--pending', 'double opt-in: not sendable until reconfirmed');
  operatorOptions(cmd, REASON_HELP[type]);
  return cmd.action(async (o: RecordOptions) => {
    staffOnly(o);
    const op = operatorOf(ctx, o, REASON_REQUIRED[type]);
    const event = await eventFrom(type, o, op, ctx, new Date());
    const { consent } = await subjectStores(ctx);
    const streamId =
      o.occurredAt === undefined ? (await consent.append(event)).streamId : await appendBackdated(consent, event);
    // The guard already denies from here on; propagation makes running journeys exit and informs processors.
    const propagation = type === 'withdrawn' ? await propagateWithdrawal(ctx, event) : undefined;
    await recordOperator(ctx, op, {
      action: OperatorAction.consent_recorded_by_staff,
      subjectRef: event.subjectRef,
      purpose: event.purpose,
      channel: event.channel,
      detail: `type=${event.type} event=${event.id}`,
    });
    ctx.print(
      o.json,
      { streamId, event, propagation },
      () => `recorded ${describeEvent(event)}\n  subject ${event.subjectRef}${propagation ? `\n  ${propagation}` : ''}`,
    );
  });
}

async function appendBackdated(consent: ConsentStore, event: ConsentEvent): Promise<string> {
  const r = await consent.appendBackdated(event);
  if (r.status === 'older')
    throw new CliUsageError(
      `--occurred-at ${event.occurredAt} is older than this subject's answer at ${r.latestAt} for ${event.purpose} via ${event.channel}; history is recorded oldest first`,
    );
  return r.streamId;
}

async function propagateWithdrawal(ctx: CliContext, e: ConsentEvent): Promise<string> {
  try {
    const id = await startPropagation(await ctx.temporal(), ctx.config().taskQueue, {
      v: 1,
      changeId: e.id,
      kind: 'withdrawn',
      subjectRef: e.subjectRef,
      purpose: e.purpose,
      channel: e.channel,
    });
    return `propagating to running journeys and processors (${id})`;
  } catch (err) {
    return `not propagated (${(err as Error).message}); the withdrawal is recorded and the guard already denies`;
  }
}

/** `consent grant|withdraw|reconfirm|expire|show`: record and inspect consent events. */
export const registerConsentCommands: RegisterCommands = (program, ctx) => {
  const consent = program.command('consent').description('record and inspect consent (append-only events)');
  recordCommand(consent, ctx, 'granted', 'record that the subject granted consent for a purpose on a channel');
  recordCommand(consent, ctx, 'withdrawn', 'record a withdrawal; it takes effect before the next send');
  recordCommand(consent, ctx, 'reconfirmed', 'record a confirmation (double opt-in) or renewal of consent');
  recordCommand(consent, ctx, 'expired', 'record that a consent expired');
  addConsentImportCommand(consent, ctx);
  addSuppressionLiftCommand(consent, ctx);
  consent
    .command('show')
    .description('current consent, suppressions and full event history of a subject')
    .option('--subject <id>', 'the subject id as your systems know it')
    .option('--ref <subjectRef>', 'the subject by its pseudonymous ref instead')
    .option('--json', 'print as JSON')
    .action(async (o: SubjectOption & { json?: boolean }) => {
      const ref = subjectRefOf(o, ctx);
      const { consent: store, subjects } = await subjectStores(ctx);
      const [projection, suppressions, history, erased, state] = await Promise.all([
        store.projection(ref),
        store.suppressions(ref),
        store.events(ref),
        subjects.isErased(ref),
        store.loadGuardState(ref),
      ]);
      const current = Object.values(projection);
      const value = { subjectRef: ref, erased, personalisation: state.personalisation, current, suppressions, history };
      ctx.print(o.json, value, () =>
        [
          `subject ${ref}${erased ? '  (ERASED)' : ''}  personalisation ${state.personalisation}`,
          `current consent (${current.length}):`,
          ...current.map((e) => `  ${describeEvent(e)}`),
          `suppressions (${suppressions.length}):`,
          ...suppressions.map((s) => `  ${s.kind}${s.channel ? ` on ${s.channel}` : ''}  ${s.source}  ${s.at}`),
          `history (${history.length} events):`,
          ...history.map((e) => `  ${describeEvent(e)}`),
        ].join('\n'),
      );
    });
};
