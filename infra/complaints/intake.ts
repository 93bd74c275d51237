import { ulid } from 'ulid';
import {
  complaintEntry,
  type ComplainedMessage,
  type ComplaintOutcome,
  type ComplaintReport,
} from '../../domain/complaint.js';
import type { LogEntry, LogEntryInput } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import type { ComplaintMetrics } from '../metrics/complaint-metrics.js';
import type { EmailMessages } from '../redis/email-messages.js';
import type { LinkTokens } from '../tokens.js';
import { parseArf } from './arf.js';

/** Where intake says what it did (pino, or Fastify's pino): pseudonyms and codes only. */
export interface ComplaintLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The ports complaint intake runs on. */
export interface ComplaintIntakeDeps {
  readonly messages: Pick<EmailMessages, 'find' | 'complained' | 'markComplained'>;
  readonly tokens: Pick<LinkTokens, 'verify'>;
  /** The existing suppression path: it bumps the subject's consent epoch, so a reserved send is refused. */
  readonly suppress: (ref: SubjectRef, source: string) => Promise<unknown>;
  /** Appends one entry under an idempotency key; a repeated key hands back the stored entry. */
  readonly appendLog: (entry: LogEntryInput, idempotencyKey: string) => Promise<LogEntry>;
  readonly metrics: ComplaintMetrics;
  readonly logger: ComplaintLogger;
  readonly now: () => Date;
}

/** Receives complaints from every source: matches, suppresses, logs and counts them. */
export interface ComplaintIntake {
  /** One complaint about one of our messages. Throws only when a store is unavailable (the sender should retry). */
  receive(report: ComplaintReport): Promise<ComplaintOutcome>;
  /** A raw message sent to the abuse address: an ARF report, or something that is not one (logged, never thrown). */
  receiveArf(raw: Buffer): Promise<ComplaintOutcome>;
}

/** Builds the intake: the sink's abuse address, the SMTP listener and `POST /v1/complaints` all call it. */
export function createComplaintIntake(deps: ComplaintIntakeDeps): ComplaintIntake {
  const { logger, metrics } = deps;
  const ignored = (source: string, reason: string, msg: string, extra: Record<string, unknown> = {}) => {
    metrics.ignored.add(1, { source, reason });
    logger.warn({ event: 'complaint_ignored', source, reason, ...extra }, msg);
  };

  // Our Message-ID first (the index the send path writes); else the report's copy of our unsubscribe link.
  async function match(r: ComplaintReport): Promise<ComplainedMessage | undefined> {
    const sent = r.messageId ? await deps.messages.find(r.messageId) : undefined;
    if (sent) return sent;
    if (!r.unsubscribeToken) return undefined;
    const v = await deps.tokens.verify(r.unsubscribeToken, 'unsubscribe');
    return v.ok
      ? {
          ref: v.claims.sub,
          ...(v.claims.decision ? { decisionId: v.claims.decision } : {}),
          ...(v.claims.campaign ? { campaignId: v.claims.campaign } : {}),
        }
      : undefined;
  }

  async function receive(r: ComplaintReport): Promise<ComplaintOutcome> {
    if (r.feedbackType === 'not-spam') {
      ignored(r.source, 'not_a_complaint', 'feedback report says not-spam: nothing to suppress');
      return { status: 'not_a_complaint' };
    }
    const m = await match(r);
    if (!m) {
      ignored(
        r.source,
        'unmatched',
        'complaint matches no message this deployment sent (unknown or expired Message-ID)',
      );
      return { status: 'unmatched' };
    }
    const campaignId = m.spec?.campaignId ?? m.campaignId ?? null;
    const key = r.messageId ?? `decision:${m.decisionId ?? 'none'}:${m.ref}`;
    if (await deps.messages.complained(key)) {
      ignored(r.source, 'duplicate', 'complaint about this message was already recorded', {
        subjectRef: m.ref,
        campaignId,
      });
      return { status: 'duplicate', subjectRef: m.ref, campaignId };
    }
    // Suppress first: a crash after it leaves the subject safe, and the retried report logs what is missing.
    await deps.suppress(m.ref, `complaint:${r.source}`);
    const id = ulid(deps.now().getTime());
    const stored = await deps.appendLog({ ...complaintEntry(m, r, deps.now()), id }, `complaint|${key}`);
    await deps.messages.markComplained(key, stored.id);
    // A concurrent copy of the same report got there first: its entry is the one of record.
    if (stored.id !== id) {
      ignored(r.source, 'duplicate', 'complaint about this message was already recorded', {
        subjectRef: m.ref,
        campaignId,
      });
      return { status: 'duplicate', subjectRef: m.ref, campaignId };
    }
    metrics.complaints.add(1, { source: r.source });
    logger.info(
      {
        event: 'complaint_recorded',
        source: r.source,
        feedbackType: r.feedbackType,
        subjectRef: m.ref,
        campaignId,
        runId: stored.runId,
        stepId: stored.stepId,
        entryId: stored.id,
      },
      'complaint recorded: subject suppressed',
    );
    return { status: 'recorded', subjectRef: m.ref, campaignId, entryId: stored.id };
  }

  return {
    receive,
    async receiveArf(raw) {
      const parsed = await parseArf(raw);
      if (!parsed.ok) {
        ignored('arf', parsed.code, `message to the abuse address is not a usable feedback report: ${parsed.message}`);
        return { status: 'malformed', code: parsed.code, message: parsed.message };
      }
      return receive(parsed.report);
    },
  };
}
