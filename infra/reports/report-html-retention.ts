import type { ReviewReport } from '../../domain/review-report.js';

/** The report page's helpers, passed in so this section shares them without importing the page. */
export interface HtmlParts {
  readonly esc: (s: string | number) => string;
  readonly table: (head: readonly string[], rows: readonly (readonly (string | number)[])[], empty?: string) => string;
}

const day = (iso: string | null): string => (iso === null ? '–' : iso.slice(0, 10));

/** The retention section: removals per data class in the period and data held past retention (a violation). */
export function retentionSection(r: ReviewReport, { esc, table }: HtmlParts): string {
  const x = r.retention;
  if (x === undefined) return '';
  const rows = x.classes.map((c) => [
    c.cls,
    c.retentionDays,
    c.actions,
    c.removed,
    `${day(c.oldestRemoved)} – ${day(c.newestRemoved)}`,
    `${day(c.firstRemovalAt)} – ${day(c.lastRemovalAt)}`,
    c.overdue === null
      ? 'not checked'
      : c.overdue === 0
        ? '0'
        : `${c.overdue} (oldest ${day(c.oldestOverdue)}) VIOLATION`,
  ]);
  const verdict = x.violations.length
    ? `<p class="bad">Data held past retention: ${esc(x.violations.join(', '))}</p>`
    : '<p class="ok">No class holds data past its retention.</p>';
  return `<h2>Retention</h2>${verdict}${table(['data class', 'retention (days)', 'removal entries', 'items removed', 'removed data dated', 'removed on', 'held past retention'], rows)}<ul class="muted">${x.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
}
