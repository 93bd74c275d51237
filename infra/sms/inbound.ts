import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import type { ConsentEvent } from '../../domain/consent.js';
import { buildConsentEvent } from '../../domain/consent-record.js';
import { projectionKey } from '../../domain/consent-state.js';
import type { SubjectRef } from '../../domain/ids.js';
import { parseReceipt, type SmsReceipt } from '../../domain/sms-receipt.js';
import { isOptOutReply } from '../../domain/sms-text.js';
import type { Services } from '../compose.js';
import type { SmsMessages } from '../redis/sms-messages.js';
import { startPropagation } from '../temporal/rights.js';
import { toE164 } from './phone.js';
import type { SmsInboundHandler } from './smpp-transport.js';

/** What inbound SMS handling writes to: the stores, the log, and Temporal for propagating a withdrawal. */
export interface SmsInboundDeps {
  readonly services: Services;
  readonly redis: Redis;
  readonly messages: SmsMessages;
  readonly client: Client;
  readonly taskQueue: string;
  readonly now?: () => Date;
}

const live = (e: ConsentEvent | undefined): boolean =>
  e !== undefined && (e.type === 'granted' || e.type === 'reconfirmed');

/** A delivery receipt becomes a delivery outcome in the log; a permanent failure suppresses the number for SMS. */
async function onReceipt(deps: SmsInboundDeps, r: SmsReceipt): Promise<void> {
  if (r.outcome === 'pending') return;
  const rec = await deps.messages.find(r.messageId);
  // A receipt for a message this deployment never submitted (or one past its record's lifetime) has nothing to join.
  if (!rec) return;
  const entry = {
    ...rec.spec,
    subjectRef: rec.ref,
    kind: 'delivery' as const,
    outcome: r.outcome,
    decisionId: rec.decisionId,
    result: `receipt_${r.stat.toLowerCase()}`,
    messageId: r.messageId,
    reasons: r.permanent ? ['sms_undeliverable'] : [],
  };
  await deps.services.log.appendBatch([entry], {
    idempotencyKeys: [`${rec.spec.runId}|${rec.spec.stepId}|${rec.ref}|receipt:${r.messageId}`],
  });
  if (r.permanent)
    await deps.services.consent.suppress(rec.ref, 'hard_bounce', 'smpp', { channel: 'sms', now: deps.now?.() });
}

/**
 * An opt-out reply (TD, T, N, STOP, 退订) withdraws every live SMS consent of the number's subject, each a consent
 * event like any other withdrawal: the epoch moves (no send reserved after it), then journeys and processors hear.
 */
async function onReply(deps: SmsInboundDeps, from: string, ton: number, text: string): Promise<void> {
  if (!isOptOutReply(text)) return;
  const e164 = toE164(from, { ton });
  if (!e164) return;
  const { services } = deps;
  const found = await deps.redis.hget(services.keys.addressIndex(), services.subjects.addressHashOf(e164));
  if (!found) return;
  const ref = found as SubjectRef;
  if (await services.subjects.isErased(ref)) return;
  const [projection, history] = await Promise.all([services.consent.projection(ref), services.consent.events(ref)]);
  const last = history.at(-1);
  for (const purpose of services.policy.purposes.values()) {
    if (!purpose.channels.has('sms') || !live(projection[projectionKey(purpose.purpose.id, 'sms')])) continue;
    const now = deps.now?.() ?? new Date();
    const built = buildConsentEvent(
      {
        type: 'withdrawn',
        subjectRef: ref,
        purpose: purpose.purpose.id,
        channel: 'sms',
        language: last?.language ?? 'en',
        jurisdiction: last?.jurisdiction ?? 'EU',
        collectionPoint: 'sms_reply',
        method: 'sms_reply',
        source: 'subject',
      },
      services.policy.bundle,
      now,
      ulid(now.getTime()),
    );
    if (!built.ok) throw new Error(`SMS opt-out could not be recorded: ${built.message}`);
    const { event } = await services.consent.append(built.event);
    await startPropagation(deps.client, deps.taskQueue, {
      v: 1,
      changeId: event.id,
      kind: 'withdrawn',
      subjectRef: ref,
      purpose: event.purpose,
      channel: 'sms',
    });
  }
}

/** Routes what arrives on the SMPP session: receipts to the log, opt-out replies to consent withdrawal. */
export function smsInboundHandler(deps: SmsInboundDeps): SmsInboundHandler {
  return async (pdu) => {
    if (!pdu.receipt) return onReply(deps, pdu.from, pdu.fromTon, pdu.text);
    const r = parseReceipt(pdu.text, { receiptedMessageId: pdu.receiptedMessageId, messageState: pdu.messageState });
    if (r) await onReceipt(deps, r);
  };
}
