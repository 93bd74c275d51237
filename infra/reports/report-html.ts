import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ReviewReport, Tally } from '../../domain/review-report.js';
import { reportScript } from './report-script.js';
import { retentionSection } from './report-html-retention.js';

let chartJs: string | undefined;

/** The Chart.js UMD bundle, read once from the installed package so the report needs no network. */
function chartBundle(): string {
  if (chartJs === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(main), 'chart.umd.js'), 'utf8');
  }
  return chartJs;
}

const esc = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// Inline scripts end at the first `</script`, whatever the JS means; JSON also must not open an HTML comment.
const inlineJs = (s: string): string => s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
const inlineJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[], empty = 'none'): string =>
  rows.length === 0
    ? `<p class="muted">${esc(empty)}</p>`
    : `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

const tallyRows = (m: Readonly<Record<string, Tally>>) =>
  Object.entries(m)
    .sort(([, a], [, b]) => b.entries - a.entries)
    .map(([k, t]) => [k, t.entries, t.allow, t.deny, t.sent, t.failed]);
const TALLY_HEAD = ['', 'entries', 'allow', 'deny', 'sent', 'failed'];
const counts = (m: Readonly<Record<string, number>>) => Object.entries(m).sort(([, a], [, b]) => b - a);

function invariantsSection(r: ReviewReport): string {
  const rows = r.invariants.map((i) => [
    i.code,
    i.count,
    i.description,
    i.entryIds.join(' ') + (i.count > i.entryIds.length ? ` … (+${i.count - i.entryIds.length})` : ''),
  ]);
  return `<h2>Invariants <small>(each must be 0)</small></h2>${table(['invariant', 'count', 'meaning', 'offending entry ids'], rows)}`;
}

function chainSection(r: ReviewReport): string {
  const c = r.chain;
  const head = `<p class="${c.ok ? 'ok' : 'bad'}">${c.ok ? 'Verified' : 'BROKEN'}: ${c.entries} entries in ${c.partitions} chains, ${c.segments} sealed segments.</p>`;
  return `<h2>Chain verification</h2>${head}${
    c.ok
      ? ''
      : table(
          ['chain', 'seq', 'kind', 'detail'],
          c.breaks.map((b) => [b.partition, b.seq, b.kind, b.detail]),
        )
  }`;
}

function consentSection(r: ReviewReport): string {
  const c = r.consent;
  return `<h2>Consent health</h2>
<ul><li>Allow decisions relying on consent older than the purpose's maximum age: <b>${c.staleReliedOn.count}</b> ${esc(c.staleReliedOn.entryIds.join(' '))}</li>
<li>Pending double opt-ins (not confirmed): <b>${c.pendingDoubleOptIns}</b> across ${c.subjectsScanned} subjects</li></ul>
<div class="two">${table(['notice version (decisions)', 'count'], counts(c.noticeVersionsInDecisions))}${table(['notice version (current grants)', 'count'], counts(c.noticeVersionsInConsents))}</div>`;
}

function processorSection(r: ReviewReport): string {
  const rows = r.processors.map((p) => [
    p.id,
    p.agreementId ?? '—',
    p.agreementValidUntil?.slice(0, 10) ?? '—',
    p.expired ? 'EXPIRED' : p.expiringWithin30Days ? `expires in ${p.daysToExpiry} days` : 'valid',
    p.sends,
    Object.entries(p.received)
      .map(
        ([purpose, x]) =>
          `${purpose}: ${x.sends} sends; ${Object.entries(x.fields)
            .map(([f, n]) => `${f}×${n}`)
            .join(', ')}`,
      )
      .join(' | ') || '—',
  ]);
  return `<h2>Processors</h2>${table(['processor', 'agreement', 'valid until', 'status', 'sends', 'received (purpose: field names × count)'], rows)}`;
}

function crossBorderSection(r: ReviewReport): string {
  const rows = r.crossBorder.map((c) => [
    c.processor,
    c.jurisdiction,
    c.transferTo ?? 'stays in jurisdiction',
    c.sends,
    c.notices,
    Object.entries(c.fields)
      .map(([f, n]) => `${f}×${n}`)
      .join(', ') || '—',
    c.mechanisms
      .map(
        (m) =>
          `${m.kind ?? '?'} ${m.reference} (${m.validFrom?.slice(0, 10) ?? '?'} – ${m.validUntil?.slice(0, 10) ?? '?'}) ×${m.moves}`,
      )
      .join(' | ') || '—',
    c.withoutMechanism,
    c.withoutConsent,
  ]);
  const head = [
    'processor',
    'jurisdiction',
    'transfer to',
    'sends',
    'notices',
    'field names × count',
    'mechanism relied on',
    'without mechanism',
    'without separate consent',
  ];
  return `<h2>Cross-border transfers</h2>${table(head, rows, 'nothing sent to a processor in the period')}`;
}

function requestsSection(r: ReviewReport): string {
  const s = r.subjectRequests;
  return `<h2>Subject requests</h2><p>open <b>${s.open}</b> · completed <b>${s.completed}</b> · overdue <b class="${s.overdue ? 'bad' : ''}">${s.overdue}</b> · other ${s.other}</p><p class="muted">${esc(s.note)}</p>`;
}

function keysSection(r: ReviewReport): string {
  const rows = r.keys.map((k) => [k.key, k.id, k.ageDays ?? 'unknown', k.lastRotatedAt ?? 'never', k.previous]);
  return `<h2>Keys</h2>${table(['key', 'current id', 'age (days)', 'last rotated', 'previous keys held'], rows, 'no key information')}`;
}

function operatorsSection(r: ReviewReport): string {
  const o = r.operatorActions;
  const rows = Object.entries(o.byActor)
    .sort()
    .flatMap(([actor, m]) =>
      Object.entries(m)
        .sort()
        .map(([action, n]) => [actor, action, n]),
    );
  const staff = Object.entries(o.staffConsentsByActor)
    .sort()
    .map(([actor, n]) => [actor, n]);
  return `<h2 id="operator-actions">Operator actions <small>(${o.total})</small></h2>${table(['actor', 'action', 'count'], rows, 'no operator actions in the period')}
<h3>Consents entered by staff</h3><p class="muted">Recorded with method staff: they never count as the subject's own act.</p>${table(['actor', 'consents entered'], staff, 'no consent entered by staff')}`;
}

function anomaliesSection(r: ReviewReport): string {
  const rows = r.anomalies.items.map((a) => [
    a.campaignId,
    a.day,
    a.metric,
    a.value,
    a.baselineMean,
    a.baselineStdev,
    a.zScore,
  ]);
  return `<h2>Anomalies</h2><p class="muted">${esc(r.anomalies.method)}</p>${table(['campaign', 'day', 'metric', 'value', 'baseline mean', 'baseline stdev', 'z'], rows, 'no campaign far from its baseline')}`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1f24;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}table{border-collapse:collapse;width:100%;margin:.5rem 0}
td,th{border:1px solid #e1e4e8;padding:.25rem .5rem;text-align:left;vertical-align:top;word-break:break-word}th{background:#f6f8fa}
.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}.muted{color:#57606a}.badge{display:inline-block;padding:.2rem .6rem;border-radius:1rem;color:#fff}
.pass{background:#1a7f37}.fail{background:#cf222e}.charts{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.charts div{height:260px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:1rem}`;

/** One self-contained HTML page for a report: data, styles and Chart.js inline, and a CSP that forbids any fetch. */
export function renderReportHtml(r: ReviewReport): string {
  const t = r.totals;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Compliance review ${esc(r.id)}</title><style>${CSS}</style></head><body>
<h1>Compliance review <span class="badge ${r.status}">${r.status.toUpperCase()}</span></h1>
<p>Review <code>${esc(r.id)}</code> of ${esc(r.period.since)} – ${esc(r.period.until)}, generated ${esc(r.generatedAt)}, policy <code>${esc(r.policyVersion.slice(0, 12))}</code>${r.logEntryId ? `, recorded as log entry <code>${esc(r.logEntryId)}</code>` : ''}.</p>
${r.failures.length ? `<p class="bad">Failed: ${esc(r.failures.join(', '))}</p>` : '<p class="ok">Every invariant holds and the chain verifies.</p>'}
<ul class="muted">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
${invariantsSection(r)}${chainSection(r)}
<h2>Totals <small>(${t.entries} entries)</small></h2>
<div class="charts"><div><canvas id="chart-time" aria-label="entries over time"></canvas></div><div><canvas id="chart-reasons" aria-label="deny reasons"></canvas></div>
<div><canvas id="chart-purpose" aria-label="by purpose"></canvas></div><div><canvas id="chart-campaign" aria-label="by campaign"></canvas></div></div>
<div class="two">${table(['outcome', 'count'], counts(t.byOutcome))}${table(['deny reason', 'count'], counts(t.byReason))}</div>
<h3>By purpose</h3>${table(TALLY_HEAD, tallyRows(t.byPurpose))}<h3>By channel</h3>${table(TALLY_HEAD, tallyRows(t.byChannel))}
<h3>By campaign</h3>${table(TALLY_HEAD, tallyRows(t.byCampaign))}<h3>By processor</h3>${table(TALLY_HEAD, tallyRows(t.byProcessor))}
<h3>By day</h3>${table(
    TALLY_HEAD,
    Object.entries(t.byDay)
      .sort()
      .map(([k, x]) => [k, x.entries, x.allow, x.deny, x.sent, x.failed]),
  )}
${consentSection(r)}${processorSection(r)}${crossBorderSection(r)}${requestsSection(r)}${operatorsSection(r)}${retentionSection(r, { esc, table })}${keysSection(r)}${anomaliesSection(r)}
<script type="application/json" id="report-data">${inlineJson(r)}</script>
<script>${inlineJs(chartBundle())}</script>
<script>${inlineJs(reportScript)}</script>
</body></html>
`;
}
