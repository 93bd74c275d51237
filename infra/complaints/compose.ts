import type { Redis } from 'ioredis';
import type { Meter } from '@opentelemetry/api';
import type { Services } from '../compose.js';
import { complaintMetricsOf } from '../metrics/complaint-metrics.js';
import { EmailMessages } from '../redis/email-messages.js';
import { createComplaintIntake, type ComplaintIntake, type ComplaintLogger } from './intake.js';

/** Complaint intake on the real stores: the message index, the consent store's suppressions and the decision log. */
export function complaintIntakeFor(
  services: Services,
  redis: Redis,
  io: { meter: Meter; logger: ComplaintLogger; now?: () => Date },
): ComplaintIntake {
  return createComplaintIntake({
    messages: new EmailMessages(redis, services.keys),
    tokens: services.tokens,
    suppress: (ref, source) => services.consent.suppress(ref, 'complaint', source),
    appendLog: async (entry, key) => (await services.log.appendBatch([entry], { idempotencyKeys: [key] }))[0]!,
    metrics: complaintMetricsOf(io.meter),
    logger: io.logger,
    now: io.now ?? (() => new Date()),
  });
}
