import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { RetentionActivityDeps } from '../activities/retention.js';
import type { LogSegmentRef } from '../activities/retention-log.js';
import type { HeldPorts } from '../activities/review-retention.js';
import type { AppConfig } from './config.js';
import type { Services } from './compose.js';
import { namesIn } from './private-files.js';
import { ConsentRetentionError, ConsentRetentionStore } from './redis/consent-retention.js';
import { LogRetentionError, LogSealError } from './redis/decision-log-errors.js';
import { heldBefore, removeSegments, segmentsPastRetention } from './redis/decision-log-retention.js';
import { deleteLedgerRecords, ledgerRecords } from './redis/ledger-retention.js';
import { reportsDirOf } from './reports/report-store.js';
import { anyJourneyRunning } from './temporal/campaign-journeys.js';

/** Deletes the regular files in `dir` last modified before `cutoffMs`, after `beforeDelete` saw them; a missing folder holds nothing. */
export async function deleteFilesOlderThan(
  dir: string,
  cutoffMs: number,
  beforeDelete?: (files: { name: string; mtimeMs: number }[]) => Promise<void>,
): Promise<string[]> {
  const due: { name: string; mtimeMs: number }[] = [];
  for (const name of (await namesIn(dir)).sort()) {
    const st = await stat(join(dir, name));
    if (st.isFile() && st.mtimeMs < cutoffMs) due.push({ name, mtimeMs: st.mtimeMs });
  }
  if (due.length > 0) await beforeDelete?.(due);
  for (const f of due)
    await unlink(join(dir, f.name)).catch((e: NodeJS.ErrnoException) =>
      e.code === 'ENOENT' ? undefined : Promise.reject(e),
    );
  return due.map((f) => f.name);
}

/** The regular files in `dir` last modified before `cutoffMs`: how many, and the oldest one's time. */
export async function filesOlderThan(
  dir: string,
  cutoffMs: number,
): Promise<{ count: number; oldestMs: number | null }> {
  let count = 0;
  let oldestMs: number | null = null;
  for (const name of await namesIn(dir)) {
    const st = await stat(join(dir, name));
    if (!st.isFile() || st.mtimeMs >= cutoffMs) continue;
    count++;
    oldestMs = Math.min(oldestMs ?? Infinity, st.mtimeMs);
  }
  return { count, oldestMs };
}

const segmentRef = (s: LogSegmentRef): LogSegmentRef => ({
  partition: s.partition,
  file: s.file,
  firstSeq: s.firstSeq,
  lastSeq: s.lastSeq,
  count: s.count,
  fromMs: s.fromMs,
  toMs: s.toMs,
});

/** Journey ids per visibility query: the query stays a few kilobytes long. */
const JOURNEYS_PER_QUERY = 100;

/** Whether a workflow is running; anything but a definite answer counts as running, so its records are kept. */
async function workflowRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (e) {
    return !(e instanceof WorkflowNotFoundError);
  }
}

/** Wires the retention activity's ports: subject store, data folders, decision log, consent history, ledger and runs. */
export function retentionDeps(
  config: AppConfig,
  s: Services,
  io: { redis: Redis; client: Client },
): Omit<RetentionActivityDeps, 'policy' | 'content' | 'pageSubjects' | 'loadGuardStates' | 'appendLog' | 'now'> &
  HeldPorts {
  const dirs = { access_bundle: join(config.dataDir, 'dsar'), report: reportsDirOf(config) } as const;
  const consent = new ConsentRetentionStore(io.redis, s.keys);
  const ledgerInUse = async (workflowId: string, runId: string | undefined): Promise<boolean> => {
    if (await workflowRunning(io.client, workflowId)) return true;
    if (runId === undefined) return false;
    const run = await s.runs.get(runId).catch(() => null);
    // A run record that does not read keeps its records, and so does a run still fixing its audience (its workflow
    // may not have started yet); an absent one never started, and a closed workflow's run is over.
    return run === null || run?.status === 'snapshotting';
  };
  return {
    shredSubject: (ref, source, now) => s.subjects.erase(ref, source, now),
    expireFiles: (cls, cutoffMs, beforeDelete) => deleteFilesOlderThan(dirs[cls], cutoffMs, beforeDelete),
    sealLogBefore: async (before) => {
      try {
        await s.log.seal(before);
        return null;
      } catch (e) {
        if (e instanceof LogSealError) return `sealing before ${before.toISOString()} refused: ${e.message}`;
        throw e;
      }
    },
    logSegmentsPastRetention: async (cutoff) => (await segmentsPastRetention(s.log.opts, cutoff)).map(segmentRef),
    removeLogSegments: async (files, beforeRemoval) => {
      try {
        return {
          removed: (await removeSegments(s.log.opts, files, (segs) => beforeRemoval(segs.map(segmentRef)))).map(
            segmentRef,
          ),
        };
      } catch (e) {
        if (e instanceof LogRetentionError || e instanceof LogSealError) return { refused: e.message };
        throw e;
      }
    },
    consentHistory: async (ref) => {
      try {
        return await consent.history(ref);
      } catch (e) {
        if (e instanceof ConsentRetentionError) return null;
        throw e;
      }
    },
    removeConsentEvents: (ref, items) => consent.remove(ref, items),
    ledgerPages: () => ledgerRecords(io.redis, config.redisKeyPrefix),
    ledgerInUse,
    runInUse: async (run) => {
      if (await ledgerInUse(run.workflowId, run.runId)) return true;
      if (run.kind !== 'journey') return false;
      // A journey run's record is finished once its journeys are enrolled; they may wait for months after that.
      for await (const ids of s.runs.journeys.pages(run.runId, JOURNEYS_PER_QUERY))
        if (await anyJourneyRunning(io.client, ids)) return true;
      return false;
    },
    deleteLedgerRecords: (found) => deleteLedgerRecords(io.redis, found),
    runPages: () => s.runs.all(),
    removeRunState: (runId, at) => s.runs.removeState(runId, at),
    logHeldBefore: (cutoff) => heldBefore(s.log.opts, cutoff),
    filesHeldBefore: (cls, cutoffMs) => filesOlderThan(dirs[cls], cutoffMs),
  };
}
