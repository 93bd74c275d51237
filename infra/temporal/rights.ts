import type { Client } from '@temporalio/client';
import type { SubjectRef } from '../../domain/ids.js';
import { subjectRequestId, type SubjectRequestRecord, type SubjectRequestType } from '../../domain/subject-request.js';
import type { PropagationInput } from '../../workflows/propagation.js';
import type { SubjectRequestInput } from '../../workflows/subject-request.js';
import { SubjectRefKey } from './search-attributes.js';

/** Starts the propagation of one change (id from the change, so a retried request starts it once). */
export async function startPropagation(client: Client, taskQueue: string, input: PropagationInput): Promise<string> {
  const workflowId = `propagation-${input.changeId}`;
  await client.workflow.start('propagation', {
    taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: SubjectRefKey, value: input.subjectRef }],
  });
  return workflowId;
}

/** Starts (or joins the open) subject request with a deterministic id; a repeat while open returns the same id. */
export async function startSubjectRequest(
  client: Client,
  taskQueue: string,
  r: { type: SubjectRequestType; subjectRef: SubjectRef; variant?: string; deadlineDays: number; receivedAt?: Date; propagationRetry?: PropagationInput['retry'] },
): Promise<string> {
  const requestId = subjectRequestId(r.type, r.subjectRef, r.variant);
  const input: SubjectRequestInput = { v: 1, requestId, type: r.type, subjectRef: r.subjectRef, receivedAt: (r.receivedAt ?? new Date()).toISOString(), deadlineDays: r.deadlineDays, propagationRetry: r.propagationRetry };
  await client.workflow.start('subjectRequest', {
    taskQueue,
    workflowId: requestId,
    args: [input],
    // Open: join it. Closed: a new request by the same person is a new run under the same business key.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [{ key: SubjectRefKey, value: r.subjectRef }],
  });
  return requestId;
}

/** The status of a request from its workflow (running or closed); undefined when no such workflow exists. */
export async function subjectRequestStatus(client: Client, requestId: string): Promise<SubjectRequestRecord | undefined> {
  try {
    return await client.workflow.getHandle(requestId).query<SubjectRequestRecord>('subjectRequestStatus');
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError') return undefined;
    throw e;
  }
}

/** Waits for a request to finish and returns its final record. */
export async function waitForSubjectRequest(client: Client, requestId: string): Promise<SubjectRequestRecord> {
  return client.workflow.getHandle(requestId).result() as Promise<SubjectRequestRecord>;
}
