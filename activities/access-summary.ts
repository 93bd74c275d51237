import type { ConsentEvent } from '../domain/consent.js';
import type { LogEntry } from '../domain/decision-log.js';
import type { PolicyBundle } from '../domain/policy.js';
import type { Suppression } from '../domain/suppression.js';

/** The parts of an access bundle the summary describes. */
export interface SummaryInput {
  readonly requestId: string;
  readonly generatedAt: string;
  readonly profile: { readonly status: string; readonly fields: Readonly<Record<string, string>> };
  readonly personalisation: string;
  readonly consentHistory: readonly ConsentEvent[];
  readonly suppressions: readonly Suppression[];
  readonly decisionLog: readonly LogEntry[];
}

/** A plain-language summary of an access bundle (GDPR 12: intelligible, in clear and plain language). */
export function accessSummary(b: SummaryInput, policy: PolicyBundle): string {
  const purposeText = (id: string | null) =>
    policy.purposes.find((p) => p.id === id)?.description ?? id ?? 'unknown purpose';
  const sent = b.decisionLog.filter((e) => e.kind === 'delivery' && e.outcome === 'sent');
  const processors = [...new Set(sent.map((e) => e.processor).filter((p): p is string => p !== null))];
  const lines = [
    'Your data held by us',
    `Request ${b.requestId}, prepared ${b.generatedAt}.`,
    '',
    b.profile.status === 'found'
      ? 'Profile fields we hold:'
      : `Profile: ${b.profile.status === 'erased' ? 'erased at your request' : 'none on file'}.`,
    ...Object.entries(b.profile.fields).map(([k, v]) => `  ${k}: ${v}`),
    '',
    `Personalised marketing: ${b.personalisation === 'off' ? 'off (you opted out)' : 'on'}.`,
    '',
    `Your consent answers (${b.consentHistory.length}):`,
    ...b.consentHistory.map(
      (e) =>
        `  ${e.occurredAt}  ${e.type}${e.pending ? ' (awaiting confirmation)' : ''}: ${purposeText(e.purpose)} by ${e.channel}, notice v${e.noticeVersion}, via ${e.collectionPoint}`,
    ),
    '',
    b.suppressions.length
      ? `Blocks on marketing: ${b.suppressions.map((s) => s.kind.replace(/_/g, ' ')).join(', ')}.`
      : 'No blocks on marketing.',
    '',
    `Messages sent to you: ${sent.length}; decisions recorded about you: ${b.decisionLog.filter((e) => e.kind === 'decision').length}.`,
    processors.length
      ? `Companies that handled your data to deliver them: ${processors.map((id) => policy.processors.find((p) => p.id === id)?.name ?? id).join(', ')}.`
      : 'No company received your data to deliver messages.',
    '',
    'The attached JSON file holds the same information in machine-readable form.',
  ];
  return `${lines.join('\n')}\n`;
}
