import type { SubjectRef } from '../domain/ids.js';
import type { LogEntryInput } from '../domain/decision-log.js';
import { RESERVATION_LEASE_MS, type LedgerRecord } from '../infra/redis/send-ledger.js';
import { mapWindowed } from '../domain/concurrency.js';
import { messageLinks, stableMessageId, unsubscribeHeaders } from './message.js';
import { deliveryEntry, factKey, reservationDenialEntry, type SendSpec } from './send-entries.js';
import { deferralDelay, type DeferralPolicy, type SendOutcome } from './send-outcome.js';
import type { Delivery, SendPipelineDeps } from './send-ports.js';
import { smsFailure } from './send-sms.js';
import { COMMIT_PATIENCE_MS, CommitFailedError, recordAccepted, type RecordPatience } from './record-accepted.js';

const HARD_BOUNCE = /^5\.1\.\d|^5\.2\.1/;
const DELIVERY_CONCURRENCY = 32;

function smtpCodeOf(e: unknown): number | undefined {
  const c = (e as { responseCode?: unknown }).responseCode;
  return typeof c === 'number' ? c : undefined;
}

interface Batch extends RecordPatience {
  readonly deps: SendPipelineDeps;
  readonly spec: SendSpec;
  readonly scope: string;
  readonly deferral: DeferralPolicy;
  readonly now: () => Date;
  /** Aborted when this attempt no longer owns its work (Temporal timed it out or cancelled it). */
  readonly signal?: AbortSignal;
  /** True once the run is paused (an operator or the monitor): no further SMTP send starts. */
  readonly held?: () => boolean;
  /** Entries to append once the batch is delivered, with their idempotency keys and the records they settle. */
  readonly logs: Array<{ entry: LogEntryInput; key: string; ref: SubjectRef; rec: LedgerRecord }>;
  /** Commits of accepted messages still running. */
  readonly commits: Array<Promise<void>>;
}

async function deliverOne(b: Batch, d: Delivery): Promise<SendOutcome> {
  const { deps, spec, scope } = b;
  const at = () => b.now().toISOString();
  const base = { subjectRef: d.ref, decisionId: d.decisionId };
  const busy: SendOutcome = { ...base, status: 'busy', reasons: ['another_attempt_owns_this_send'] };
  // The channel whose frequency-cap slot a send that does not happen gives back (a capped step's only).
  const capChannel = spec.frequencyCap ? spec.channel : undefined;
  // False when another attempt superseded this one: its outcome, not ours, is the one of record.
  const settle = async (rec: LedgerRecord, entry: LogEntryInput, key: string, returnCap = false) => {
    if (!(await deps.ledger.settle(d.ref, scope, rec, returnCap ? capChannel : undefined))) return false;
    b.logs.push({ entry, key, ref: d.ref, rec });
    return true;
  };
  const fail = async (result: string, smtpCode?: number, messageId?: string): Promise<SendOutcome> => {
    const rec: LedgerRecord = {
      ...d.rec,
      state: 'closed',
      at: at(),
      outcome: 'failed',
      reasons: [result],
      smtpCode,
      messageId,
    };
    const settled = await settle(
      rec,
      deliveryEntry(spec, d.ref, d.decisionId, { outcome: 'failed', result, smtpCode, messageId, reasons: [result] }),
      factKey(spec, d.ref, 'delivery'),
      true,
    );
    return settled ? { ...base, status: 'failed', reasons: [result], smtpCode } : busy;
  };
  // The send refuses anything but an allow for this very subject.
  if (d.decision.outcome !== 'allow' || d.decision.subjectRef !== d.ref) return fail('decision_mismatch');
  const addressField = d.addressField;
  const sms = spec.channel === 'sms' ? deps.sms : undefined;
  if (!addressField || (spec.channel !== 'email' && !sms)) return fail('channel_transport_missing');
  const messageId = stableMessageId(scope, d.ref, deps.sender.email);
  // Reserve against the consent epoch the decision saw (a withdrawal committed since then means no send), and
  // read only the released fields, in one round trip. The Message-ID is remembered by the same script (in the same
  // pipeline flush on a Redis Cluster), before any send, so no message can draw a complaint that matches nothing.
  const cap = spec.frequencyCap
    ? { channel: spec.channel, max: spec.frequencyCap.max, windowMs: spec.frequencyCap.perMs, nowMs: b.now().getTime() }
    : undefined;
  const claimedAt = b.now().getTime();
  const index = sms ? undefined : deps.messageIndex?.(messageId, { ref: d.ref, decisionId: d.decisionId, spec });
  const claimed = await deps.ledger.claim(
    d.ref,
    scope,
    d.rec,
    d.fresh,
    messageId,
    at(),
    d.decision.fieldsReleased,
    cap,
    index,
  );
  if (claimed.status === 'epoch_moved' || claimed.status === 'capped') {
    // Consent changed, or other campaigns filled the cap window, since the decision: re-decided as a logged denial.
    const reasons = [claimed.status === 'capped' ? 'frequency_capped' : 'consent_changed'];
    const n = d.rec.decisions + 1;
    const rec: LedgerRecord = {
      ...d.rec,
      state: 'closed',
      at: at(),
      decision: 'deny',
      decisions: n,
      outcome: 'denied',
      reasons,
    };
    const entry = reservationDenialEntry(spec, d.ref, d.decisionId, rec.at, reasons);
    if (!(await settle(rec, entry, factKey(spec, d.ref, `decision:${n}`)))) return busy;
    return { ...base, status: 'denied', reasons };
  }
  if (claimed.status !== 'ok') return busy;
  // From here the send is reserved: every way out settles the record, which also clears the reservation.
  const read = deps.openFields(d.ref, d.decision.fieldsReleased, claimed.profile);
  if (read.status !== 'found') return fail(`profile_${read.status}`);
  const { [addressField]: address, ...merge } = read.fields;
  if (!address) return fail('address_missing');
  const links = messageLinks(deps.tokens, deps.publicUrl, {
    ref: d.ref,
    purpose: spec.purpose,
    channel: spec.channel,
    campaignId: spec.campaignId,
    decisionId: d.decisionId,
  });
  const rendered = deps.templates.render(d.template.id, {
    fields: merge,
    links: { ...links },
    sender: { name: deps.sender.name, email: deps.sender.email, postalAddress: deps.sender.postalAddress },
    postalAddresses: deps.sender.postalAddresses ?? {},
    ...(d.language ? { language: d.language } : {}),
  });
  // Strict templates never go out with a hole: a missing value is a logged, permanent failure, not a retry loop.
  if (!rendered.ok) return fail('profile_field_missing');
  // A timed-out attempt may already have a retry running: it stops before the SMTP send, and so does one whose
  // reservation got old (a stalled process), since past its lease another attempt may take the send over. The
  // reservation goes back to decided, for the attempt that now owns the chunk.
  // A paused run stops here too, not at the end of its chunk: the member keeps its decision and waits, deferred, for
  // the run's sweep after a resume.
  const paused = b.held?.() === true;
  if (paused || b.signal?.aborted || b.now().getTime() - claimedAt > RESERVATION_LEASE_MS / 2) {
    // The cap slot goes back too: the member takes it again when it is sent, and a withdrawal meanwhile frees it.
    await deps.ledger.settle(d.ref, scope, { ...d.rec, state: 'decided', at: at() }, capChannel);
    if (b.signal?.aborted) throw b.signal.reason ?? new Error('send attempt cancelled');
    return paused ? { ...busy, reasons: ['run_paused'] } : busy;
  }
  try {
    const res = sms
      ? {
          code: undefined,
          ...(await sms.send(address, rendered.text, { ref: d.ref, decisionId: d.decisionId, spec }, (write) =>
            recordAccepted(b, write),
          )),
        }
      : await deps.mailer.send({
          to: address,
          fromName: deps.sender.name,
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          headers: unsubscribeHeaders(links),
          messageId,
        });
    const rec: LedgerRecord = {
      ...d.rec,
      state: 'committed',
      at: at(),
      messageId,
      outcome: 'sent',
      smtpCode: res.code,
      reasons: [],
    };
    // The commit runs alongside the rest of the batch and its log append (awaited in deliverAll): the entry states
    // what the SMTP server accepted, true whether or not the commit lands. The commit writes nothing if another attempt
    // took the send over after this one's lease ran out (the ambiguous window, under the same Message-ID).
    const commit = recordAccepted(b, () => deps.ledger.settle(d.ref, scope, rec)).then(() => undefined);
    commit.catch(() => {});
    b.commits.push(commit);
    b.logs.push({
      entry: deliveryEntry(spec, d.ref, d.decisionId, {
        outcome: 'sent',
        smtpCode: res.code,
        messageId,
        result: 'accepted',
      }),
      key: factKey(spec, d.ref, 'delivery'),
      ref: d.ref,
      rec,
    });
    return { ...base, status: 'sent', reasons: [], messageId, smtpCode: res.code };
  } catch (e) {
    // Transient (4xx, connection): this recipient alone waits, with its own backoff, within its own budget.
    const defer = async (reason: string, code?: number): Promise<SendOutcome> => {
      const deferrals = d.rec.deferrals + 1;
      if (deferrals >= b.deferral.maxAttempts) return fail('deferred_budget_exhausted', code, messageId);
      const nextAttemptAt = b.now().getTime() + deferralDelay(b.deferral, deferrals);
      const released = await deps.ledger.settle(d.ref, scope, {
        ...d.rec,
        state: 'decided',
        at: at(),
        deferrals,
        nextAttemptAt,
        reasons: [reason],
        smtpCode: code,
      });
      return released ? { ...base, status: 'deferred', reasons: [reason], smtpCode: code, nextAttemptAt } : busy;
    };
    const smsFailed = sms ? smsFailure(e) : undefined;
    if (sms && smsFailed) {
      if (smsFailed.transient) return defer(smsFailed.reason);
      const out = await fail(smsFailed.reason, undefined, messageId);
      if (smsFailed.suppress) await sms.suppress(d.ref);
      return out;
    }
    if (sms) throw e;
    const code = smtpCodeOf(e);
    if (code === undefined || code < 500) return defer(code ? `smtp_${code}` : 'smtp_unreachable', code);
    const enhanced = String((e as { response?: string }).response ?? '').slice(4);
    const hard = code === 550 || code === 551 || code === 553 || HARD_BOUNCE.test(enhanced);
    const out = await fail(hard ? 'hard_bounce' : 'smtp_rejected', code, messageId);
    if (hard) await deps.suppressHardBounce(d.ref);
    return out;
  }
}

/** Delivers the allowed sends concurrently through the pooled transport, then logs their outcomes in one batch. */
export async function deliverAll(
  deps: SendPipelineDeps,
  spec: SendSpec,
  scope: string,
  deliveries: readonly Delivery[],
  opts: {
    heartbeat: () => void;
    deferral: DeferralPolicy;
    now: () => Date;
    commitPatienceMs?: number;
    signal?: AbortSignal;
    held?: () => boolean;
  },
): Promise<SendOutcome[]> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const b: Batch = {
    deps,
    spec,
    scope,
    deferral: opts.deferral,
    now: opts.now,
    signal: opts.signal,
    held: opts.held,
    heartbeat: opts.heartbeat,
    commitPatienceMs: opts.commitPatienceMs ?? COMMIT_PATIENCE_MS,
    sleep,
    logs: [],
    commits: [],
  };
  // Enough in flight to keep the pooled SMTP connections busy, few enough that a 500-subject chunk does not
  // hold 500 rendered MIME trees in memory at once.
  // After the first infrastructure failure no new send starts, but the sends already in flight are seen through
  // to their commit before the batch fails: an accepted message whose commit was abandoned is a duplicate later.
  let failure: { error: unknown } | undefined;
  const settled = await mapWindowed(deliveries, DELIVERY_CONCURRENCY, async (d) => {
    if (failure) return undefined;
    try {
      // Every send heartbeats (run-page.ts passes them on at most once a second): a heartbeat is how a timed-out
      // attempt learns it is one.
      opts.heartbeat();
      return await deliverOne(b, d);
    } catch (error) {
      failure ??= { error };
      return undefined;
    }
  });
  if (failure) {
    await Promise.allSettled(b.commits);
    throw failure.error instanceof CommitFailedError ? failure.error.cause : failure.error;
  }
  const outcomes = settled.filter((o): o is SendOutcome => o !== undefined);
  // The outcome entries and the last commits share one round trip. Records are not marked logged afterwards: a
  // retry re-appends an outcome under its idempotency key, which hands back the stored entry instead of a second.
  const appended = b.logs.length
    ? deps.appendLog(
        b.logs.map((l) => l.entry),
        { idempotencyKeys: b.logs.map((l) => l.key) },
      )
    : Promise.resolve([]);
  const [committed, logged] = await Promise.allSettled([Promise.all(b.commits), appended]);
  if (committed.status === 'rejected')
    throw committed.reason instanceof CommitFailedError ? committed.reason.cause : committed.reason;
  if (logged.status === 'rejected') throw logged.reason;
  return outcomes;
}
