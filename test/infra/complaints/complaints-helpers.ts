import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { defineCampaign } from '../../../domain/campaign.js';
import type { LogEntry } from '../../../domain/decision-log.js';
import type { SubjectRef } from '../../../domain/ids.js';
import { journeyWorkflowId } from '../../../activities/campaign.js';
import { journeyStarter } from '../../../infra/temporal/journeys.js';
import type { JourneyState } from '../../../workflows/signals.js';
import { eventually, type Engine } from '../../helpers/engine.js';
import { uniqueId } from '../../helpers/services.js';

/** Runs a one-step email journey for `ref` through the real worker; the message the sink captured, raw. */
export async function sendOne(
  engine: Engine,
  ref: SubjectRef,
  address: string,
): Promise<{ raw: Buffer; messageId: string; campaignId: string; runId: string; result: JourneyState }> {
  const campaign = defineCampaign({
    id: uniqueId('c'),
    name: 'Complaints',
    description: 'test campaign',
    purpose: 'marketing.email.newsletter',
    audience: { segment: 'all-subscribers' },
    steps: [{ id: 'send-1', type: 'send', channel: 'email', template: 'welcome-1', processor: 'smtp-relay' }],
  });
  const runId = uniqueId('run');
  const workflowId = journeyWorkflowId(campaign.id, ref);
  const before = engine.sink.received.filter((m) => m.envelopeTo.includes(address)).length;
  await journeyStarter(engine.client, engine.taskQueue)(workflowId, {
    v: 1,
    campaign,
    campaignVersion: 'test',
    subjectRef: ref,
    runId,
  });
  const result = (await engine.client.workflow.getHandle(workflowId).result()) as JourneyState;
  const mails = engine.sink.received.filter((m) => m.envelopeTo.includes(address));
  const mail = mails.length > before ? mails.at(-1) : undefined;
  return {
    raw: mail ? readFileSync(mail.file) : Buffer.alloc(0),
    messageId: mail?.messageId ?? '',
    campaignId: campaign.id,
    runId,
    result,
  };
}

/** An RFC 5965 feedback report about `original` (a whole message, or only its headers). */
export function arfReport(
  original: Buffer | string,
  opts: { feedbackType?: string; headersOnly?: boolean; rcpt?: string } = {},
): string {
  const part = opts.headersOnly ? 'text/rfc822-headers' : 'message/rfc822';
  const body = opts.headersOnly ? original.toString().split(/\r?\n\r?\n/)[0]! + '\r\n' : original.toString();
  return [
    'From: <fbl@mailbox-provider.example>',
    'To: <abuse@shop.example>',
    'Subject: FW: complaint',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="arf-boundary"',
    '',
    '--arf-boundary',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is an email abuse report for an email message received.',
    '',
    '--arf-boundary',
    'Content-Type: message/feedback-report',
    '',
    `Feedback-Type: ${opts.feedbackType ?? 'abuse'}`,
    'User-Agent: ProviderFBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: <${opts.rcpt ?? 'someone@example.org'}>`,
    'Arrival-Date: Mon, 30 Nov 2026 06:00:00 +0000',
    '',
    '--arf-boundary',
    `Content-Type: ${part}`,
    '',
    body,
    '--arf-boundary--',
    '',
  ].join('\r\n');
}

/** Sends `raw` over real SMTP (nodemailer) to `to` at the sink; the server's reply. */
export async function mailTo(engine: Engine, to: string, raw: string): Promise<string> {
  const t = nodemailer.createTransport({ url: engine.sink.url });
  try {
    const info = await t.sendMail({ envelope: { from: 'fbl@mailbox-provider.example', to: [to] }, raw });
    return String(info.response);
  } finally {
    t.close();
  }
}

/** The complaint entries of a subject. */
export async function complaintsOf(engine: Engine, ref: SubjectRef): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of engine.services.log.query({ subjectRef: ref, kind: 'complaint' })) out.push(e);
  return out;
}

/** Waits until the subject has `n` complaint entries. */
export const complaintsEventually = (engine: Engine, ref: SubjectRef, n: number) =>
  eventually(
    async () => {
      const c = await complaintsOf(engine, ref);
      return c.length === n ? c : undefined;
    },
    20_000,
    `${n} complaint entries`,
  );

/** The value of a counter sample in Prometheus text, 0 when absent. */
export function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
