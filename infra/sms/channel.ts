import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { SmsChannel } from '../../activities/send-sms.js';
import type { AppConfig } from '../config.js';
import type { Services } from '../compose.js';
import { SmsMessages } from '../redis/sms-messages.js';
import { smsInboundHandler } from './inbound.js';
import { toE164 } from './phone.js';
import { createSmsSender, SmsSubmitError } from './smpp-transport.js';

/** The SMS channel of a worker and how to close its SMPP session. */
export interface RunningSmsChannel {
  readonly channel: SmsChannel;
  close(): Promise<void>;
}

/** Wires the SMPP transport to the send path (ids remembered for receipts) and to inbound handling (receipts, opt-outs). */
export function createSmsChannel(
  config: AppConfig,
  io: { smppUrl: string; redis: Redis; client: Client; taskQueue: string; services: Services },
): RunningSmsChannel {
  const messages = new SmsMessages(io.redis, io.services.keys);
  const inbound = smsInboundHandler({
    services: io.services,
    redis: io.redis,
    messages,
    client: io.client,
    taskQueue: io.taskQueue,
  });
  const sender = createSmsSender(io.smppUrl, { sourceAddr: config.env.SMS_SOURCE_ADDR, inbound });
  // Bound from the start: an opt-out reply must be heard even when this worker has nothing to send.
  sender.open();
  return {
    channel: {
      async send(to, text, ctx, record = (write) => write()) {
        const e164 = toE164(to);
        // Status 0x0B (invalid destination), as an SMSC would answer: a permanent failure, never a retry.
        if (!e164) throw new SmsSubmitError('the phone number on file is not a valid E.164 number', 0x0b);
        // The template file's final newline would cost a character, and in UCS-2 perhaps a segment.
        return sender.send({ to: e164, text: text.trim() }, (r) =>
          record(() =>
            messages.remember(r.messageIds, { ref: ctx.ref, decisionId: ctx.decisionId, spec: { ...ctx.spec } }),
          ),
        );
      },
      suppress: (ref) => io.services.consent.suppress(ref, 'hard_bounce', 'smpp', { channel: 'sms' }),
    },
    close: () => sender.close(),
  };
}
