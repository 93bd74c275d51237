// Guard throughput on one core with a generated 50-purpose / 20-field policy and mixed allow/deny states,
// reported against baselines measured in the same run. Prints JSON lines; not a timed test.
import { type ConsentEvent } from '../domain/consent.js';
import { type GuardState, rebuild } from '../domain/consent-state.js';
import { decide, type GuardRequest } from '../domain/guard.js';
import type { SubjectRef } from '../domain/ids.js';
import { compilePolicy, PolicyBundle, type PurposeInput } from '../domain/policy.js';
import { jurisdictions } from '../policy/jurisdictions.js';
import { retention } from '../policy/retention.js';

const SUBJECT = 'sr_AAAAAAAAAAAAAAAAAAAAAA' as SubjectRef;
const NOW = new Date('2026-06-01T00:00:00Z');
const HASH = 'a'.repeat(64);

function generatedPolicy() {
  const fields = ['email', 'phone', ...Array.from({ length: 17 }, (_, i) => `field_${i}`), 'health_interest'];
  const purposes: PurposeInput[] = [];
  for (let i = 0; i < 50; i++) {
    const channel = i % 4 === 3 ? 'sms' : 'email';
    const family = `marketing.${channel}.family_${i % 5}`;
    purposes.push({
      id: `${family}.purpose_${i}`,
      description: `generated purpose ${i}`,
      legalBasis: 'consent',
      channels: [channel],
      allowedFields: fields.slice(2 + (i % 7), 10 + (i % 9)),
      separateConsent: i % 10 === 9,
      maxConsentAgeDays: 730,
      minNoticeVersion: 1,
      piaId: `PIA-${i}`,
    });
  }
  const processor = (id: string, until: string) => ({
    id,
    name: id,
    role: 'processor' as const,
    agreementId: `DPA-${id}`,
    agreementValidFrom: '2024-01-01T00:00:00Z',
    agreementValidUntil: until,
    purposes: purposes.map((p) => p.id),
    fields,
    region: 'EU',
  });
  const notices = [1, 2, 3].map((v) => ({
    version: v,
    contentHash: HASH,
    effectiveAt: `202${v + 2}-01-01T00:00:00Z`,
    material: v !== 2,
    language: 'en',
  }));
  const bundle = PolicyBundle.parse({
    purposes,
    notices,
    subjectFields: fields.map((name) => ({
      name,
      type: 'string',
      category: name === 'health_interest' ? 'sensitive' : 'preference',
    })),
    processors: [processor('relay', '2028-01-01T00:00:00Z'), processor('expired', '2025-01-01T00:00:00Z')],
    channelAddressField: { email: 'email', sms: 'phone' },
    jurisdictions,
    retention,
  });
  return compilePolicy(bundle, 'bench-policy');
}

let seq = 0;
function grant(purpose: string, channel: 'email' | 'sms', over: Partial<ConsentEvent> = {}): ConsentEvent {
  seq++;
  return {
    id: `01J${String(seq).padStart(23, '0')}`,
    type: 'granted',
    subjectRef: SUBJECT,
    purpose,
    channel,
    legalBasis: 'consent',
    noticeVersion: 3,
    noticeHash: HASH,
    language: 'en',
    collectionPoint: 'bench',
    method: 'form',
    occurredAt: '2026-01-01T00:00:00Z',
    source: 'bench',
    jurisdiction: 'DE',
    ...over,
  };
}

function workload(
  policy: ReturnType<typeof generatedPolicy>,
  n: number,
): { reqs: GuardRequest[]; states: GuardState[] } {
  const purposes = policy.bundle.purposes;
  const reqs: GuardRequest[] = [];
  const states: GuardState[] = [];
  for (let i = 0; i < n; i++) {
    const p = purposes[(i * 7) % purposes.length]!;
    const ch = p.channels[0]!;
    const kind = i % 20; // 0-11 exact grant, 12-13 ancestor, 14 withdrawn, 15 pending, 16 none, 17 suppressed, 18 old notice, 19 bad field
    const family = p.id.slice(0, p.id.lastIndexOf('.'));
    const events =
      kind <= 11
        ? [grant(p.id, ch)]
        : kind <= 13
          ? [grant(family, ch)]
          : kind === 14
            ? [grant(p.id, ch), grant(p.id, ch, { type: 'withdrawn' })]
            : kind === 15
              ? [grant(p.id, ch, { pending: true })]
              : kind === 16
                ? []
                : kind === 18
                  ? [grant(p.id, ch, { noticeVersion: 1 })]
                  : [grant(p.id, ch)];
    // Unrelated consents too, so the projection is realistically sized (about 10 keys).
    for (let j = 1; j < 10; j++) events.push(grant(purposes[(i + j * 3) % purposes.length]!.id, ch));
    states.push({
      consent: rebuild(events),
      suppressions: kind === 17 ? [{ kind: 'unsubscribe_all', at: '2026-01-01T00:00:00Z', source: 'bench' }] : [],
      erased: false,
      personalisation: 'on',
    });
    const fields = p.allowedFields.slice(0, 3 + (i % 4));
    reqs.push({
      campaignId: 'bench',
      stepId: `s${i % 3}`,
      subjectRef: SUBJECT,
      purpose: p.id,
      channel: ch,
      processor: i % 50 === 0 ? 'expired' : 'relay',
      templateId: 't1',
      fields: kind === 19 ? [...fields, 'health_interest'] : fields,
    });
  }
  return { reqs, states };
}

function rate(
  label: string,
  iterations: number,
  body: (i: number) => number,
): { label: string; perSecond: number; sink: number } {
  let sink = 0;
  for (let i = 0; i < Math.min(iterations, 200_000); i++) sink += body(i); // warm-up for the JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += body(i);
  const ns = Number(process.hrtime.bigint() - t0);
  return { label, perSecond: Math.round((iterations / ns) * 1e9), sink };
}

function percentiles(body: (i: number) => number, samples: number): { p50: number; p99: number } {
  const batch = 16; // single decisions are below the timer's resolution: time small batches, report ns per decision
  const out = new Float64Array(samples);
  let sink = 0;
  for (let s = 0; s < samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) sink += body(s * batch + k);
    out[s] = Number(process.hrtime.bigint() - t0) / batch;
  }
  out.sort();
  if (sink < 0) console.log(sink);
  return { p50: Math.round(out[Math.floor(samples * 0.5)]!), p99: Math.round(out[Math.floor(samples * 0.99)]!) };
}

/** Runs the guard benchmark and prints JSON lines. */
export async function main(): Promise<void> {
  const policy = generatedPolicy();
  const N = 4096;
  const { reqs, states } = workload(policy, N);
  const mask = N - 1;
  const guard = (i: number) => (decide(reqs[i & mask]!, states[i & mask]!, policy, NOW).outcome === 'allow' ? 1 : 0);
  // Baseline: the same map and projection lookups decide() does, plus a result object, with no rules applied.
  const lookups = (i: number) => {
    const r = reqs[i & mask]!;
    const cp = policy.purposes.get(r.purpose);
    const ok =
      cp !== undefined &&
      policy.processors.get(r.processor) !== undefined &&
      policy.addressFields.get(r.channel) !== undefined &&
      states[i & mask]!.consent[`${r.purpose}|${r.channel}`] !== undefined;
    const res = { outcome: ok ? 'allow' : 'deny', purpose: r.purpose, fields: r.fields, at: NOW.getTime() };
    return res.outcome === 'allow' ? 1 : 0;
  };
  const stringify = (i: number) => JSON.stringify(reqs[i & mask]).length;
  // A fresh clock per decision, as in the one-at-a-time send activity (no reuse of the formatted decidedAt).
  const nowMs = NOW.getTime();
  const guardOwnClock = (i: number) =>
    decide(reqs[i & mask]!, states[i & mask]!, policy, new Date(nowMs + i)).outcome === 'allow' ? 1 : 0;

  const iterations = 2_000_000;
  const g = rate('guard', iterations, guard);
  const b = rate('lookup_baseline', iterations, lookups);
  const j = rate('json_stringify_request', iterations, stringify);
  const own = rate('guard_own_clock', iterations / 4, guardOwnClock);
  const lat = percentiles(guard, 50_000);
  let allows = 0;
  for (let i = 0; i < N; i++) allows += guard(i);
  const base = {
    bench: 'guard',
    purposes: policy.bundle.purposes.length,
    fields: policy.bundle.subjectFields.length,
    workloadStates: N,
  };
  console.log(
    JSON.stringify({
      ...base,
      metric: 'decisions_per_second',
      value: g.perSecond,
      allowShare: +(allows / N).toFixed(2),
      goal: 1_000_000,
    }),
  );
  console.log(
    JSON.stringify({ ...base, metric: 'ns_per_decision', p50: lat.p50, p99: lat.p99, note: 'timed in batches of 16' }),
  );
  console.log(
    JSON.stringify({
      ...base,
      metric: 'decisions_per_second_own_clock',
      value: own.perSecond,
      note: 'a new Date per decision',
    }),
  );
  console.log(
    JSON.stringify({
      ...base,
      metric: 'baseline_lookup_ops_per_second',
      value: b.perSecond,
      guardRatio: +(g.perSecond / b.perSecond).toFixed(3),
    }),
  );
  console.log(
    JSON.stringify({
      ...base,
      metric: 'baseline_json_stringify_per_second',
      value: j.perSecond,
      guardRatio: +(g.perSecond / j.perSecond).toFixed(3),
    }),
  );
  await Promise.resolve();
}
