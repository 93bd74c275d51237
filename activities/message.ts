import { createHash } from 'node:crypto';
import type { SubjectRef } from '../domain/ids.js';
import type { LinkTokens } from '../infra/tokens.js';

/** The links every marketing message carries, signed per subject, purpose and decision. */
export interface MessageLinks {
  readonly unsubscribe: string;
  readonly why: string;
  readonly preferences: string;
}

/** Builds the signed unsubscribe, why-this-message and preference-centre URLs for one decision. */
export function messageLinks(
  tokens: LinkTokens,
  publicUrl: string,
  c: { ref: SubjectRef; purpose: string; channel: string; campaignId: string; decisionId: string },
): MessageLinks {
  const base = { sub: c.ref, purpose: c.purpose, channel: c.channel, campaign: c.campaignId, decision: c.decisionId };
  return {
    unsubscribe: `${publicUrl}/u/${tokens.signNow({ scope: 'unsubscribe', ...base })}`,
    why: `${publicUrl}/why/${tokens.signNow({ scope: 'why', ...base })}`,
    preferences: `${publicUrl}/preferences/${tokens.signNow({ scope: 'preferences', sub: c.ref })}`,
  };
}

/** RFC 8058 one-click unsubscribe headers (the transport DKIM-signs them). */
export function unsubscribeHeaders(links: MessageLinks): Record<string, string> {
  return { 'List-Unsubscribe': `<${links.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

/**
 * A Message-ID fixed by the idempotency scope, so a resend in the ambiguous window (accepted by SMTP, crash
 * before commit) carries the same id and mailbox providers collapse the copies.
 */
export function stableMessageId(scope: string, ref: SubjectRef, senderEmail: string): string {
  const domain = senderEmail.split('@')[1] ?? 'consentflow.local';
  return `<${createHash('sha256').update(`${scope}|${ref}`).digest('hex').slice(0, 32)}@${domain}>`;
}
