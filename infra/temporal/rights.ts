import type { Client } from '@temporalio/client';
import type { SubjectRef } from '../../domain/ids.js';
import { ulid } from 'ulid';
import {
  subjectRequestId,
  type SubjectRequestId,
  type SubjectRequestRecord,
  type SubjectRequestType,
} from '../../domain/subject-request.js';
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

/** Mints the id of a new request at intake: every request, a repeat too, is its own register entry. */
export function newSubjectRequestId(type: SubjectRequestType, at: Date = new Date()): SubjectRequestId {
  return subjectRequestId(type, ulid(at.getTime()));
}

/** Starts a subject request under the id minted at intake (a retried start with the same id joins it). */
export async function startSubjectRequest(
  client: Client,
  taskQueue: string,
  r: {
    requestId?: SubjectRequestId;
    type: SubjectRequestType;
    subjectRef: SubjectRef;
    deadlineDays: number;
    receivedAt?: Date;
    propagationRetry?: PropagationInput['retry'];
  },
): Promise<string> {
  const receivedAt = r.receivedAt ?? new Date();
  const requestId = r.requestId ?? newSubjectRequestId(r.type, receivedAt);
  const input: SubjectRequestInput = {
    v: 1,
    requestId,
    type: r.type,
    subjectRef: r.subjectRef,
    receivedAt: receivedAt.toISOString(),
    deadlineDays: r.deadlineDays,
    propagationRetry: r.propagationRetry,
  };
  await client.workflow.start('subjectRequest', {
    taskQueue,
    workflowId: requestId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: SubjectRefKey, value: r.subjectRef }],
  });
  return requestId;
}

/** The status of a request from its workflow (running or closed); undefined when no such workflow exists. */
export async function subjectRequestStatus(
  client: Client,
  requestId: string,
): Promise<SubjectRequestRecord | undefined> {
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
