import type { Alert } from '../../domain/alert.js';
import type { Mailer } from '../smtp/transport.js';
import type { AlertDelivery } from './webhook.js';

/** Mails an alert to the compliance contact over the configured SMTP transport; a 4xx or no answer retries. */
export async function mailAlert(mailer: Mailer, to: string, a: Alert, fromName?: string): Promise<AlertDelivery> {
  const facts = Object.entries(a.facts).map(([k, v]) => `${k}: ${v}`);
  try {
    await mailer.send({
      to,
      subject: `[consentflow alert] ${a.kind}${a.campaignId ? ` ${a.campaignId}` : ''}`,
      text: [a.text, '', ...facts, '', `alert key: ${a.key}`, `raised at: ${a.at}`].join('\n'),
      // One Message-ID per alert key, so a retried delivery is recognisable as the same alert.
      messageId: `<alert.${a.key.replace(/[^A-Za-z0-9._-]/g, '.')}@consentflow>`,
      headers: { 'X-Consentflow-Alert-Key': a.key },
      ...(fromName ? { fromName } : {}),
    });
    return { ok: true };
  } catch (e) {
    const code = (e as { responseCode?: number }).responseCode;
    return {
      ok: false,
      reason: `alert mail to the compliance contact failed: ${code ?? ''} ${(e as Error).message}`.trim(),
      retryable: code === undefined || code < 500,
    };
  }
}
