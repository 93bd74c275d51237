import { ChannelSchema } from './channel.js';
import { ConsentEvent, ConsentMethod, type ConsentEventType, Jurisdiction, LanguageTag } from './consent.js';
import type { SubjectRef } from './ids.js';
import type { Notice, PolicyBundle } from './policy.js';

/** What a caller (CLI, API, preference centre) asks to record; strings as typed, validated here. */
export interface ConsentRecordRequest {
  readonly type: ConsentEventType;
  readonly subjectRef: SubjectRef;
  readonly purpose: string;
  readonly channel: string;
  /** The notice version shown; absent means the one in force at `now` in `language`. */
  readonly noticeVersion?: number;
  readonly language: string;
  readonly collectionPoint: string;
  readonly method: string;
  readonly jurisdiction: string;
  readonly source: string;
  readonly pending?: boolean;
  /** `guardian` when a minor's guardian answered (PIPL 31, GDPR 8). */
  readonly givenBy?: string;
  readonly evidence?: ConsentEvent['evidence'];
  /**
   * When the subject actually answered, for consents collected elsewhere (migration, offline forms); absent means
   * `now`. Bounded: never after `now`, never before the notice it cites took effect.
   */
  readonly occurredAt?: string;
}

/** Why a request could not become an event; stable snake_case codes for API bodies and tests. */
export const ConsentRecordCode = {
  unknown_purpose: 'unknown_purpose',
  unknown_channel: 'unknown_channel',
  channel_not_allowed: 'channel_not_allowed',
  unknown_method: 'unknown_method',
  bad_language: 'bad_language',
  bad_jurisdiction: 'bad_jurisdiction',
  no_notice_in_language: 'no_notice_in_language',
  unknown_notice_version: 'unknown_notice_version',
  no_notice_in_force: 'no_notice_in_force',
  invalid_event: 'invalid_event',
  bad_given_by: 'bad_given_by',
  bad_time: 'bad_time',
  time_in_future: 'time_in_future',
  time_before_notice: 'time_before_notice',
} as const;
export type ConsentRecordCode = (typeof ConsentRecordCode)[keyof typeof ConsentRecordCode];

/** The outcome: a valid event, or the request field at fault with a problem phrased to follow its name. */
export type ConsentRecordResult =
  | { readonly ok: true; readonly event: ConsentEvent }
  | {
      readonly ok: false;
      readonly code: ConsentRecordCode;
      readonly field: keyof ConsentRecordRequest;
      readonly problem: string;
      readonly message: string;
    };

const oneOf = (values: readonly (string | number)[]) => values.join(', ');

function fail(code: ConsentRecordCode, field: keyof ConsentRecordRequest, problem: string): ConsentRecordResult {
  return { ok: false, code, field, problem, message: `${field} ${problem}` };
}

/** The notice in force at `now` in a language: what a subject answering today was shown. */
export function noticeInForce(bundle: PolicyBundle, language: string, now: Date): Notice | undefined {
  return bundle.notices
    .filter((n) => n.language === language && Date.parse(n.effectiveAt) <= now.getTime())
    .sort((a, b) => b.version - a.version)[0];
}

function answeredAt(
  occurredAt: string | undefined,
  now: Date,
): { ok: true; time: Date } | { ok: false; failure: ConsentRecordResult } {
  if (occurredAt === undefined) return { ok: true, time: now };
  // An explicit offset is required: a bare local time would be read in the server's zone and shift the record.
  const ms = /(Z|[+-]\d{2}:\d{2})$/.test(occurredAt) ? Date.parse(occurredAt) : NaN;
  if (Number.isNaN(ms))
    return {
      ok: false,
      failure: fail(
        'bad_time',
        'occurredAt',
        `"${occurredAt}" must be an ISO 8601 time with an offset, like 2025-03-01T09:30:00Z`,
      ),
    };
  if (ms > now.getTime())
    return {
      ok: false,
      failure: fail(
        'time_in_future',
        'occurredAt',
        `${new Date(ms).toISOString()} is in the future; record a consent only once it was given`,
      ),
    };
  return { ok: true, time: new Date(ms) };
}

/** Builds a consent event from a request against the policy; the legal basis and notice hash come from policy. */
export function buildConsentEvent(
  req: ConsentRecordRequest,
  bundle: PolicyBundle,
  now: Date,
  id: string,
): ConsentRecordResult {
  const purpose = bundle.purposes.find((p) => p.id === req.purpose);
  if (!purpose)
    return fail(
      'unknown_purpose',
      'purpose',
      `"${req.purpose}" is not in the policy; known purposes: ${oneOf(bundle.purposes.map((p) => p.id))}`,
    );
  const channel = ChannelSchema.safeParse(req.channel);
  if (!channel.success)
    return fail('unknown_channel', 'channel', `"${req.channel}" is unknown; channels: ${oneOf(ChannelSchema.options)}`);
  if (!purpose.channels.includes(channel.data))
    return fail(
      'channel_not_allowed',
      'channel',
      `${req.channel} is not allowed for ${purpose.id}; it uses: ${oneOf(purpose.channels)}`,
    );
  if (!(Object.values(ConsentMethod) as string[]).includes(req.method))
    return fail(
      'unknown_method',
      'method',
      `"${req.method}" is unknown; methods: ${oneOf(Object.values(ConsentMethod))}`,
    );
  if (!LanguageTag.safeParse(req.language).success)
    return fail('bad_language', 'language', `"${req.language}" must be a tag like en or zh-CN`);
  if (!Jurisdiction.safeParse(req.jurisdiction).success)
    return fail('bad_jurisdiction', 'jurisdiction', `"${req.jurisdiction}" must look like CN, DE, EU or US-CA`);
  if (req.givenBy !== undefined && req.givenBy !== 'subject' && req.givenBy !== 'guardian')
    return fail('bad_given_by', 'givenBy', `"${req.givenBy}" must be subject or guardian`);
  const at = answeredAt(req.occurredAt, now);
  if (!at.ok) return at.failure;
  const inLanguage = bundle.notices.filter((n) => n.language === req.language);
  if (!inLanguage.length)
    return fail(
      'no_notice_in_language',
      'language',
      `"${req.language}" has no published privacy notice; languages: ${oneOf([...new Set(bundle.notices.map((n) => n.language))])}`,
    );
  let notice: Notice | undefined;
  if (req.noticeVersion !== undefined) {
    notice = inLanguage.find((n) => n.version === req.noticeVersion);
    if (!notice)
      return fail(
        'unknown_notice_version',
        'noticeVersion',
        `${req.noticeVersion} does not exist in ${req.language}; published versions: ${oneOf(inLanguage.map((n) => n.version))}`,
      );
  } else {
    notice = noticeInForce(bundle, req.language, at.time);
    if (!notice)
      return fail(
        'no_notice_in_force',
        'noticeVersion',
        `is needed: no notice in ${req.language} was in force at ${at.time.toISOString()}`,
      );
  }
  // Consent to a notice that did not exist yet is impossible: the record would claim the subject saw it.
  if (at.time.getTime() < Date.parse(notice.effectiveAt)) {
    return fail(
      'time_before_notice',
      'occurredAt',
      `${at.time.toISOString()} is before notice v${notice.version} (${req.language}) took effect at ${notice.effectiveAt}; cite the notice shown then`,
    );
  }
  const parsed = ConsentEvent.safeParse({
    id,
    type: req.type,
    subjectRef: req.subjectRef,
    purpose: purpose.id,
    channel: channel.data,
    legalBasis: purpose.legalBasis,
    noticeVersion: notice.version,
    noticeHash: notice.contentHash,
    language: req.language,
    collectionPoint: req.collectionPoint,
    method: req.method,
    occurredAt: at.time.toISOString(),
    source: req.source,
    jurisdiction: req.jurisdiction,
    ...(req.pending ? { pending: true } : {}),
    ...(req.givenBy === 'guardian' ? { givenBy: 'guardian' } : {}),
    ...(req.evidence ? { evidence: req.evidence } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(
      'invalid_event',
      (issue?.path[0] as keyof ConsentRecordRequest | undefined) ?? 'type',
      issue?.message ?? 'is invalid',
    );
  }
  return { ok: true, event: parsed.data };
}
