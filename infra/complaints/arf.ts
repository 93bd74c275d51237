import { simpleParser, type Attachment } from 'mailparser';
import { z } from 'zod';
import { ComplaintSource, FeedbackType, type ComplaintReport } from '../../domain/complaint.js';

/** A Message-ID as RFC 5322 writes it: one id in angle brackets. */
export const MessageIdSchema = z
  .string()
  .trim()
  .max(250)
  .regex(/^<[^<>\s]+@[^<>\s]+>$/, 'must be a Message-ID in angle brackets, e.g. <0123abcd@shop.example>');

/** Why a message to the abuse address is not a usable feedback report; stable snake_case codes. */
export type ArfProblem =
  'unparseable' | 'not_feedback_report' | 'no_feedback_part' | 'bad_feedback_type' | 'no_original_message';

/** A parsed report, or why there is none; the message names the problem, never the report's content. */
export type ArfResult =
  | { readonly ok: true; readonly report: ComplaintReport }
  | { readonly ok: false; readonly code: ArfProblem; readonly message: string };

const fail = (code: ArfProblem, message: string): ArfResult => ({ ok: false, code, message });

// Parsing options: the original message is kept as a part, never rendered or parsed into the report's text.
const OPTIONS = {
  ignoreEmbedded: true,
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipImageLinks: true,
  checksumAlgo: false,
} as const;

// The one-click link our send path puts in List-Unsubscribe: https://…/u/<token>.
const UNSUBSCRIBE_TOKEN = /\/u\/([A-Za-z0-9._~-]{20,2048})>/;

const headerText = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The header block of a part (a feedback report or the original message), parsed like any message head. */
async function headersOf(part: Attachment): Promise<Map<string, unknown>> {
  return (await simpleParser(part.content, OPTIONS)).headers as Map<string, unknown>;
}

/**
 * Reads an RFC 5965 feedback report (`multipart/report; report-type=feedback-report`): the feedback type and
 * arrival date from its `message/feedback-report` part, and the original message's Message-ID and unsubscribe link
 * from its `message/rfc822` or `text/rfc822-headers` part. Addresses in the report are never read out.
 */
export async function parseArf(raw: Buffer): Promise<ArfResult> {
  let mail;
  try {
    mail = await simpleParser(raw, OPTIONS);
  } catch (e) {
    return fail('unparseable', `the message could not be parsed as MIME: ${(e as Error).message}`);
  }
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (
    type?.value?.toLowerCase() !== 'multipart/report' ||
    type.params?.['report-type']?.toLowerCase() !== 'feedback-report'
  ) {
    return fail(
      'not_feedback_report',
      'the message is not multipart/report with report-type=feedback-report (RFC 5965)',
    );
  }
  const feedback = mail.attachments.find((a) => a.contentType.toLowerCase() === 'message/feedback-report');
  if (!feedback) return fail('no_feedback_part', 'the report has no message/feedback-report part');
  const fields = await headersOf(feedback);
  const ft = FeedbackType.safeParse(headerText(fields.get('feedback-type'))?.trim().toLowerCase());
  if (!ft.success) return fail('bad_feedback_type', `Feedback-Type must be one of ${FeedbackType.options.join(', ')}`);
  const original = mail.attachments.find((a) =>
    ['message/rfc822', 'text/rfc822-headers'].includes(a.contentType.toLowerCase()),
  );
  if (!original)
    return fail(
      'no_original_message',
      'the report carries no original message or headers (message/rfc822 or text/rfc822-headers)',
    );
  const head = await headersOf(original);
  const messageId = MessageIdSchema.safeParse(headerText(head.get('message-id')));
  const token = UNSUBSCRIBE_TOKEN.exec(headerText(head.get('list-unsubscribe')) ?? '')?.[1];
  if (!messageId.success && !token)
    return fail('no_original_message', 'the original message has neither a Message-ID nor our List-Unsubscribe link');
  const arrival = headerText(fields.get('arrival-date') ?? fields.get('received-date'));
  const receivedAt = arrival && !Number.isNaN(Date.parse(arrival)) ? new Date(Date.parse(arrival)) : undefined;
  return {
    ok: true,
    report: {
      source: ComplaintSource.arf,
      feedbackType: ft.data,
      ...(messageId.success ? { messageId: messageId.data } : {}),
      ...(token ? { unsubscribeToken: token } : {}),
      ...(receivedAt ? { receivedAt } : {}),
    },
  };
}
