import { createHmac, hkdfSync } from 'node:crypto';
import type { Alert } from '../../domain/alert.js';

/** How one delivery attempt ended: delivered, not configured, or failed (retryable or not). */
export type AlertDelivery =
  | { readonly ok: true; readonly skipped?: string }
  | { readonly ok: false; readonly reason: string; readonly retryable: boolean };

/** The alert webhook's signing key, derived from the token key as the processor webhook's is, under its own label. */
export const alertSigningKey = (tokenKey: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', tokenKey, Buffer.alloc(0), 'consentflow/alert-webhook/v1', 32));

/** The JSON body: `text` is what Slack (and its compatible receivers) shows; the rest is for machines. */
export function alertBody(a: Alert): string {
  return JSON.stringify({
    text: a.text,
    kind: a.kind,
    key: a.key,
    at: a.at,
    ...(a.campaignId ? { campaignId: a.campaignId } : {}),
    facts: a.facts,
  });
}

/** The header value a receiver checks: `sha256=` and the HMAC of the raw body. */
export const alertSignature = (key: Buffer, body: string): string =>
  `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

/** POSTs an alert; 2xx is delivered, 429 and 5xx and network errors retry, another 4xx will not get better by retrying. */
export async function postAlert(url: string, key: Buffer, a: Alert, timeoutMs = 5_000): Promise<AlertDelivery> {
  const body = alertBody(a);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-consentflow-signature': alertSignature(key, body),
        'x-consentflow-alert-key': a.key,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.ok) return { ok: true };
    return {
      ok: false,
      reason: `alert webhook answered HTTP ${res.status}`,
      retryable: res.status >= 500 || res.status === 429,
    };
  } catch (e) {
    return { ok: false, reason: `alert webhook unreachable: ${(e as Error).message}`, retryable: true };
  }
}
