import { Context } from '@temporalio/activity';
import type { GuardState } from '../domain/consent-state.js';
import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import { profileRetentionDue, retentionCutoffMs, type RetentionClass } from '../domain/retention.js';
import { retentionEntry } from '../domain/retention-entry.js';
import type { AppendLog } from './send-pipeline.js';
import { expireConsentEvents, type ConsentRetentionPorts } from './retention-consent.js';
import { expireSendLedger, type LedgerRetentionPorts, type LedgerRetentionResult } from './retention-ledger.js';
import { expireRunStates, type RunRetentionPorts, type RunRetentionResult } from './retention-runs.js';
import { expireLogSegments, type LogRetentionPorts, type LogRetentionResult } from './retention-log.js';
import { policyOfRecord, type ContentSource } from './content.js';

/** What the retention run needs; the worker wires the stores, the log and the data folders. */
export interface RetentionActivityDeps
  extends LogRetentionPorts, ConsentRetentionPorts, LedgerRetentionPorts, RunRetentionPorts {
  readonly policy: () => CompiledPolicy;
  /** The deployed content; its current policy, when there is one, is the policy of record. */
  readonly content?: Pick<ContentSource, 'currentPolicy'>;
  readonly pageSubjects: (
    cursor: string,
    count: number,
  ) => Promise<{ readonly cursor: string; readonly refs: readonly SubjectRef[] }>;
  readonly loadGuardStates: (refs: readonly SubjectRef[]) => Promise<GuardState[]>;
  /** Crypto-shreds a profile, keeping its address hashes and an `erased` suppression so it is never mailed again. */
  readonly shredSubject: (ref: SubjectRef, source: string, now: Date) => Promise<{ readonly alreadyErased: boolean }>;
  /** Deletes the files of a class last written before `cutoffMs`, calling `beforeDelete` with them first; returns their names. */
  readonly expireFiles: (
    cls: Extract<RetentionClass, 'access_bundle' | 'report'>,
    cutoffMs: number,
    beforeDelete: (files: readonly { readonly name: string; readonly mtimeMs: number }[]) => Promise<void>,
  ) => Promise<string[]>;
  readonly appendLog: AppendLog;
  readonly now: () => Date;
}

/** What one retention run removed. */
export interface RetentionSummary {
  readonly asOf: string;
  readonly profiles: { readonly inactive: number; readonly withdrawn: number };
  readonly accessBundles: number;
  readonly reports: number;
  readonly logSegments: LogRetentionResult;
  /** Superseded consent events removed, and subjects whose history did not read (left untouched). */
  readonly consentEvents: { readonly removed: number; readonly unreadable: number };
  readonly sendLedger: LedgerRetentionResult;
  /** Member state of runs that ended before the send-ledger retention. */
  readonly runStates: RunRetentionResult;
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity (unit use)
  }
}

/**
 * The retention activity: shreds profiles past retention, removes superseded consent events past retention, deletes
 * expired bundles, reports, log segments (sealed, oldest first), send-ledger records of finished runs and those runs'
 * member state; logging each removal before it happens.
 */
export function createRetentionActivities(deps: RetentionActivityDeps) {
  return {
    async enforceRetention(input: { readonly asOf?: string }): Promise<RetentionSummary> {
      const asOf = input.asOf === undefined ? deps.now() : new Date(input.asOf);
      // The policy of record, whose accessBundlesDays the subject-request workflow's bundle timers use too.
      const r = (await policyOfRecord(deps)).bundle.retention;
      const day = asOf.toISOString().slice(0, 10);
      const profiles = { inactive: 0, withdrawn: 0 };
      const consentEvents = { removed: 0, unreadable: 0 };
      let cursor = '0';
      do {
        const page = await deps.pageSubjects(cursor, 250);
        cursor = page.cursor;
        const states = await deps.loadGuardStates(page.refs);
        for (const [i, ref] of page.refs.entries()) {
          const s = states[i];
          // An unreadable state is skipped, never guessed at: the next run sees it again.
          if (s === undefined || s.loadError !== undefined) continue;
          const n = await expireConsentEvents(deps, ref, r.consentEventsDays, asOf);
          if (n === null) consentEvents.unreadable += 1;
          else consentEvents.removed += n;
          if (s.erased) continue;
          const reason = profileRetentionDue(Object.values(s.consent), r, asOf.getTime());
          if (reason === undefined) continue;
          // Log first, keyed per day and subject, so a retried run neither loses nor doubles the record.
          await deps.appendLog(
            [
              retentionEntry({
                cls: 'profile',
                what: 'profile_shredded',
                reason,
                asOf,
                at: deps.now(),
                subjectRef: ref,
              }),
            ],
            { idempotencyKeys: [`retention|${day}|${ref}`] },
          );
          await deps.shredSubject(ref, `retention:${reason}`, asOf);
          profiles[reason] += 1;
        }
        heartbeat({ cursor });
      } while (cursor !== '0');
      const removed = { access_bundle: [] as string[], report: [] as string[] };
      for (const [cls, days] of [
        ['access_bundle', r.accessBundlesDays],
        ['report', r.reportsDays],
      ] as const) {
        removed[cls] = await deps.expireFiles(cls, retentionCutoffMs(asOf.getTime(), days), async (files) => {
          const logged = files.map((f) =>
            retentionEntry({
              cls,
              what: f.name,
              reason: `older_than_${days}d`,
              asOf,
              at: deps.now(),
              data: { fromMs: f.mtimeMs, toMs: f.mtimeMs },
            }),
          );
          await deps.appendLog(logged, { idempotencyKeys: files.map((f) => `retention|${day}|${cls}|${f.name}`) });
        });
      }
      const logSegments = await expireLogSegments(deps, r, asOf);
      const sendLedger = await expireSendLedger(deps, r.sendLedgerDays, asOf, () =>
        heartbeat({ phase: 'send_ledger' }),
      );
      const runStates = await expireRunStates(deps, r.sendLedgerDays, asOf, () => heartbeat({ phase: 'run_state' }));
      return {
        asOf: asOf.toISOString(),
        profiles,
        accessBundles: removed.access_bundle.length,
        reports: removed.report.length,
        logSegments,
        consentEvents,
        sendLedger,
        runStates,
      };
    },
  };
}
