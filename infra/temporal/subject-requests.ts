import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { addWorkingDays } from '../../domain/review-checks.js';
import type { SubjectRequestSummary } from '../../domain/review-report.js';

/** The strictest answer deadline we build to: 15 working days (China benchmark; GDPR allows one month). */
export const SUBJECT_REQUEST_WORKING_DAYS = 15;

const STATUS_QUERY = 'subjectRequestStatus';
const ASK_TIMEOUT_MS = 3_000;

function deadlineIn(x: unknown): number | null {
  const v =
    x !== null && typeof x === 'object'
      ? ((x as Record<string, unknown>).deadline ?? (x as Record<string, unknown>).dueAt)
      : undefined;
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : null;
}

// The request's own record (status query while open, result once done) carries the deadline set at intake;
// anything that does not answer in time falls back to the memo, then to the strictest benchmark from its start.
async function deadlineOf(client: Client, wf: WorkflowExecutionInfo): Promise<number> {
  const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
  const ask = wf.status.name === 'RUNNING' ? handle.query(STATUS_QUERY) : handle.result();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ASK_TIMEOUT_MS)));
  const record = await Promise.race([ask.catch(() => null), timeout]).finally(() => clearTimeout(timer));
  return (
    deadlineIn(record) ?? deadlineIn(wf.memo) ?? addWorkingDays(wf.startTime.getTime(), SUBJECT_REQUEST_WORKING_DAYS)
  );
}

/** Counts the task queue's subject-request workflows through Temporal visibility; when none exist (or visibility fails) the counts are zero and the note says why. */
export async function subjectRequestSummary(
  client: Client,
  taskQueue: string,
  now: Date,
): Promise<SubjectRequestSummary> {
  const s = { available: true, open: 0, completed: 0, overdue: 0, other: 0 };
  // Scoped to this deployment's task queue: a namespace may serve several.
  const query = `WorkflowType = 'subjectRequest' AND TaskQueue = '${taskQueue.replace(/'/g, '')}'`;
  try {
    for await (const wf of client.workflow.list({ query })) {
      const status = wf.status.name;
      if (status === 'RUNNING') {
        s.open++;
        if ((await deadlineOf(client, wf)) < now.getTime()) s.overdue++;
      } else if (status === 'COMPLETED') {
        s.completed++;
        if (wf.closeTime && (await deadlineOf(client, wf)) < wf.closeTime.getTime()) s.overdue++;
      } else s.other++;
    }
  } catch (e) {
    return {
      ...s,
      available: false,
      note: `Temporal visibility could not list subject requests (${(e as Error).message}); counts are unknown, shown as 0.`,
    };
  }
  return {
    ...s,
    note: `Subject-request workflows (WorkflowType subjectRequest) by status; overdue = still open past, or completed after, the deadline the request recorded at intake (its status query or result), else ${SUBJECT_REQUEST_WORKING_DAYS} working days from intake.`,
  };
}

/** The task queue's open subject requests with the deadline each recorded at intake (for the deadline alerts). */
export async function openSubjectRequests(
  client: Client,
  taskQueue: string,
): Promise<Array<{ requestId: string; deadlineMs: number }>> {
  const out: Array<{ requestId: string; deadlineMs: number }> = [];
  const query = `WorkflowType = 'subjectRequest' AND TaskQueue = '${taskQueue.replace(/'/g, '')}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query }))
    out.push({ requestId: wf.workflowId, deadlineMs: await deadlineOf(client, wf) });
  return out;
}
