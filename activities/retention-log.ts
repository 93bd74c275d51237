import { retentionCutoffMs, type RetentionPolicy } from '../domain/retention.js';
import { retentionEntry } from '../domain/retention-entry.js';
import type { AppendLog } from './send-pipeline.js';

/** A sealed segment as retention sees it: its chain, range and the dates of its entries. */
export interface LogSegmentRef {
  readonly partition: number;
  readonly file: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly count: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/** The decision log's retention ports; refusals come back as messages, so one chain's damage stops only that chain. */
export interface LogRetentionPorts {
  /** Seals the entries older than `before` (they are only removable once sealed); the refusal's message, or null. */
  readonly sealLogBefore: (before: Date) => Promise<string | null>;
  /** Sealed segments entirely older than `cutoff`, per chain only its oldest kept ones. */
  readonly logSegmentsPastRetention: (cutoff: Date) => Promise<LogSegmentRef[]>;
  /** Removes segments of one chain oldest first, each verified; `beforeRemoval` runs after the checks, before any deletion. */
  readonly removeLogSegments: (
    files: readonly string[],
    beforeRemoval: (segments: readonly LogSegmentRef[]) => Promise<void>,
  ) => Promise<{ readonly removed: readonly LogSegmentRef[] } | { readonly refused: string }>;
}

/** What a retention run did to the decision log. */
export interface LogRetentionResult {
  readonly segments: number;
  readonly entries: number;
  /** Why a seal or a chain's removal was refused (a damaged segment is kept as evidence). */
  readonly refused: string[];
}

/** Seals and removes the log segments past retention, logging each removal before it happens. */
export async function expireLogSegments(
  deps: LogRetentionPorts & { readonly appendLog: AppendLog; readonly now: () => Date },
  r: RetentionPolicy,
  asOf: Date,
): Promise<LogRetentionResult> {
  const days = r.logSegmentsDays;
  const cutoff = new Date(retentionCutoffMs(asOf.getTime(), days));
  const refused: string[] = [];
  // Only a closed period can be sealed: an `asOf` in the future (a catch-up or a test) still seals no later than now.
  const sealRefusal = await deps.sealLogBefore(new Date(Math.min(cutoff.getTime(), deps.now().getTime())));
  if (sealRefusal !== null) refused.push(sealRefusal);
  const byChain = new Map<number, LogSegmentRef[]>();
  for (const s of await deps.logSegmentsPastRetention(cutoff))
    byChain.set(s.partition, [...(byChain.get(s.partition) ?? []), s]);
  let segments = 0;
  let entries = 0;
  for (const due of byChain.values()) {
    const res = await deps.removeLogSegments(
      due.map((s) => s.file),
      async (checked) => {
        const logged = checked.map((s) =>
          retentionEntry({
            cls: 'log_segment',
            what: `${s.file} seq=${s.firstSeq}..${s.lastSeq}`,
            reason: `older_than_${days}d`,
            asOf,
            at: deps.now(),
            data: { n: s.count, fromMs: s.fromMs, toMs: s.toMs },
          }),
        );
        await deps.appendLog(logged, { idempotencyKeys: checked.map((s) => `retention|log_segment|${s.file}`) });
      },
    );
    if ('refused' in res) refused.push(res.refused);
    else {
      segments += res.removed.length;
      entries += res.removed.reduce((a, s) => a + s.count, 0);
    }
  }
  return { segments, entries, refused };
}
