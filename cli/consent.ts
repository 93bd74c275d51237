import type { Command } from 'commander';
import { ulid } from 'ulid';
import { ChannelSchema } from '../domain/channel.js';
import { ConsentEvent, ConsentMethod, type ConsentEventType, Jurisdiction, LanguageTag } from '../domain/consent.js';
import { policy } from '../policy/index.js';
import { type CliContext, CliUsageError, type RegisterCommands } from './context.js';
import { type SubjectOption, subjectRefOf, subjectStores } from './subject-stores.js';

interface RecordOptions extends SubjectOption {
  purpose: string;
  channel: string;
  noticeVersion?: string;
  language: string;
  collectionPoint: string;
  method: string;
  jurisdiction: string;
  source: string;
  pending?: boolean;
  json?: boolean;
}

const oneOf = (values: readonly (string | number)[]) => values.join(', ');

/** Builds the event from the options, rejecting unknown purposes, channels, notices and methods by name. */
function eventFrom(type: ConsentEventType, o: RecordOptions, ctx: CliContext, now: Date): ConsentEvent {
  const purpose = policy.purposes.find((p) => p.id === o.purpose);
  if (!purpose) throw new CliUsageError(`--purpose "${o.purpose}" is not in the policy; known purposes: ${oneOf(policy.purposes.map((p) => p.id))}`);
  const channel = ChannelSchema.safeParse(o.channel);
  if (!channel.success) throw new CliUsageError(`--channel "${o.channel}" is unknown; channels: ${oneOf(ChannelSchema.options)}`);
  if (!purpose.channels.includes(channel.data)) throw new CliUsageError(`--channel ${o.channel} is not allowed for ${purpose.id}; it uses: ${oneOf(purpose.channels)}`);
  if (!(Object.values(ConsentMethod) as string[]).includes(o.method)) throw new CliUsageError(`--method "${o.method}" is unknown; methods: ${oneOf(Object.values(ConsentMethod))}`);
  if (!LanguageTag.safeParse(o.language).success) throw new CliUsageError(`--language "${o.language}" must be a tag like en or zh-CN`);
  if (!Jurisdiction.safeParse(o.jurisdiction).success) throw new CliUsageError(`--jurisdiction "${o.jurisdiction}" must look like CN, DE, EU or US-CA`);
  const inLanguage = policy.notices.filter((n) => n.language === o.language);
  if (!inLanguage.length) throw new CliUsageError(`no privacy notice is published in language ${o.language}; languages: ${oneOf([...new Set(policy.notices.map((n) => n.language))])}`);
  let notice;
  if (o.noticeVersion !== undefined) {
    const v = Number(o.noticeVersion);
    notice = inLanguage.find((n) => n.version === v);
    if (!notice) throw new CliUsageError(`--notice-version ${o.noticeVersion} does not exist in ${o.language}; published versions: ${oneOf(inLanguage.map((n) => n.version))}`);
  } else {
    // Default: the notice in force now, which is what a subject consenting today was shown.
    notice = inLanguage.filter((n) => Date.parse(n.effectiveAt) <= now.getTime()).sort((a, b) => b.version - a.version)[0];
    if (!notice) throw new CliUsageError(`no notice in ${o.language} is in force yet; pass --notice-version`);
  }
  return ConsentEvent.parse({
    id: ulid(now.getTime()),
    type,
    subjectRef: subjectRefOf(o, ctx),
    purpose: purpose.id,
    channel: channel.data,
    legalBasis: purpose.legalBasis,
    noticeVersion: notice.version,
    noticeHash: notice.contentHash,
    language: o.language,
    collectionPoint: o.collectionPoint,
    method: o.method,
    occurredAt: now.toISOString(),
    source: o.source,
    jurisdiction: o.jurisdiction,
    ...(o.pending ? { pending: true } : {}),
  });
}

const describeEvent = (e: ConsentEvent) =>
  `${e.type}${e.pending ? ' (pending confirmation)' : ''}  ${e.purpose} via ${e.channel}  notice v${e.noticeVersion}  ${e.method} at ${e.collectionPoint}  ${e.occurredAt}  [${e.id}]`;

function recordCommand(parent: Command, ctx: CliContext, type: ConsentEventType, description: string): Command {
  const cmd = parent
    .command(type === 'granted' ? 'grant' : type === 'withdrawn' ? 'withdraw' : type === 'expired' ? 'expire' : 'reconfirm')
    .description(description)
    .option('--subject <id>', 'the subject id as your systems know it')
    .option('--ref <subjectRef>', 'the subject by its pseudonymous ref instead')
    .requiredOption('--purpose <purpose>', 'purpose id from policy/purposes.ts, e.g. marketing.email.newsletter')
    .requiredOption('--channel <channel>', 'email or sms')
    .option('--notice-version <n>', 'privacy notice version shown (default: the one in force)')
    .option('--language <tag>', 'language of the notice shown', 'en')
    .option('--collection-point <where>', 'where the answer was collected', 'cli')
    .option('--method <method>', `how it was collected: ${oneOf(Object.values(ConsentMethod))}`, 'api')
    .option('--jurisdiction <code>', 'jurisdiction, e.g. CN, DE, EU, US-CA', 'EU')
    .option('--source <source>', 'system or person recording it', 'cli')
    .option('--json', 'print the event as JSON');
  if (type === 'granted') cmd.option('--pending', 'double opt-in: not sendable until reconfirmed');
  return cmd.action(async (o: RecordOptions) => {
    const event = eventFrom(type, o, ctx, new Date());
    const { streamId } = await subjectStores(ctx).consent.append(event);
    ctx.print(o.json, { streamId, event }, () => `recorded ${describeEvent(event)}\n  subject ${event.subjectRef}`);
  });
}

/** `consent grant|withdraw|reconfirm|expire|show`: record and inspect consent events. */
export const registerConsentCommands: RegisterCommands = (program, ctx) => {
  const consent = program.command('consent').description('record and inspect consent (append-only events)');
  recordCommand(consent, ctx, 'granted', 'record that the subject granted consent for a purpose on a channel');
  recordCommand(consent, ctx, 'withdrawn', 'record a withdrawal; it takes effect before the next send');
  recordCommand(consent, ctx, 'reconfirmed', 'record a confirmation (double opt-in) or renewal of consent');
  recordCommand(consent, ctx, 'expired', 'record that a consent expired');
  consent
    .command('show')
    .description('current consent, suppressions and full event history of a subject')
    .option('--subject <id>', 'the subject id as your systems know it')
    .option('--ref <subjectRef>', 'the subject by its pseudonymous ref instead')
    .option('--json', 'print as JSON')
    .action(async (o: SubjectOption & { json?: boolean }) => {
      const ref = subjectRefOf(o, ctx);
      const { consent: store, subjects } = subjectStores(ctx);
      const [projection, suppressions, history, erased, state] = await Promise.all([
        store.projection(ref), store.suppressions(ref), store.events(ref), subjects.isErased(ref), store.loadGuardState(ref),
      ]);
      const current = Object.values(projection);
      const value = { subjectRef: ref, erased, personalisation: state.personalisation, current, suppressions, history };
      ctx.print(o.json, value, () => [
        `subject ${ref}${erased ? '  (ERASED)' : ''}  personalisation ${state.personalisation}`,
        `current consent (${current.length}):`, ...current.map((e) => `  ${describeEvent(e)}`),
        `suppressions (${suppressions.length}):`, ...suppressions.map((s) => `  ${s.kind}${s.channel ? ` on ${s.channel}` : ''}  ${s.source}  ${s.at}`),
        `history (${history.length} events):`, ...history.map((e) => `  ${describeEvent(e)}`),
      ].join('\n'));
    });
};
