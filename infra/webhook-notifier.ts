import { createHmac } from 'node:crypto';
import type { NotifyResult, ProcessorNotice, ProcessorNotifier } from '../domain/propagation.js';
import { ConfigError } from './config.js';

/** Parses `CONSENTFLOW_PROCESSOR_WEBHOOKS` (`id=https://…,id2=https://…`) into a map. */
export function parseProcessorWebhooks(value: string | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const part of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const id = part.slice(0, eq);
    const url = part.slice(eq + 1);
    if (eq < 1 || !/^https?:\/\/\S+$/.test(url))
      throw new ConfigError(
        `CONSENTFLOW_PROCESSOR_WEBHOOKS entry "${id || part.slice(0, 20)}" must be processorId=https://…`,
      );
    out.set(id, url);
  }
  return out;
}

/** Notifies processors by POSTing the notice as JSON, signed with HMAC-SHA256 so they can check it came from us. */
export class HttpWebhookNotifier implements ProcessorNotifier {
  constructor(
    private readonly urls: ReadonlyMap<string, string>,
    private readonly signingKey: Buffer,
    private readonly timeoutMs = 5_000,
  ) {}

  /** POSTs the notice; 2xx is informed, 4xx is a permanent failure, anything else retries. */
  async notify(processorId: string, notice: ProcessorNotice): Promise<NotifyResult> {
    const url = this.urls.get(processorId);
    // Without an endpoint nobody can be told: retrying will not help until an operator configures one.
    if (!url)
      return {
        ok: false,
        reason: `no webhook configured for ${processorId} (CONSENTFLOW_PROCESSOR_WEBHOOKS)`,
        retryable: false,
      };
    const body = JSON.stringify(notice);
    const signature = createHmac('sha256', this.signingKey).update(body).digest('hex');
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-consentflow-signature': `sha256=${signature}` },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.ok) return { ok: true };
      return {
        ok: false,
        reason: `${processorId} answered HTTP ${res.status}`,
        retryable: res.status >= 500 || res.status === 429,
      };
    } catch (e) {
      return { ok: false, reason: `${processorId} unreachable: ${(e as Error).message}`, retryable: true };
    }
  }
}
