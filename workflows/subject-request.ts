import {
  defineQuery,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SubjectRequestRecord, SubjectRequestType } from '../domain/subject-request.js';
import { accessBundleRetention } from './access-bundle-retention.js';
import { propagation, type PropagationInput } from './propagation.js';

/** A data subject request as the workflow sees it: ids only; corrections are staged encrypted in Redis. */
export interface SubjectRequestInput {
  readonly v: 1;
  readonly requestId: string;
  readonly type: SubjectRequestType;
  readonly subjectRef: string;
  readonly receivedAt: string;
  readonly deadlineDays: number;
  readonly propagationRetry?: PropagationInput['retry'];
}

/** The request's status record: queryable while running and after it completed. */
export const subjectRequestStatusQuery = defineQuery<SubjectRequestRecord>('subjectRequestStatus');

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 50,
    nonRetryableErrorTypes: ['InvalidCorrectionFailure'],
  },
});

/** Access, correct or erase for one subject, with a deadline set at intake (DSR clock) and a status query. */
export async function subjectRequest(input: SubjectRequestInput): Promise<SubjectRequestRecord> {
  const { requestId, type, subjectRef } = input;
  const deadline = new Date(Date.parse(input.receivedAt) + input.deadlineDays * 86_400_000).toISOString();
  let record: SubjectRequestRecord = {
    requestId,
    type,
    subjectRef: subjectRef as SubjectRequestRecord['subjectRef'],
    status: 'received',
    receivedAt: input.receivedAt,
    deadline,
  };
  setHandler(subjectRequestStatusQuery, () => record);
  await acts.recordSubjectRequest(record);
  record = { ...record, status: 'in_progress' };
  await acts.recordSubjectRequest(record);

  const step = { requestId, subjectRef };
  const out =
    type === 'access'
      ? await acts.exportAccessBundle(step)
      : type === 'correct'
        ? await acts.applyCorrections(step)
        : await acts.eraseSubject(step);
  if (out.status === 'refused') {
    record = { ...record, status: 'refused', refusal: out.refusal, completedAt: new Date().toISOString() };
    await acts.recordSubjectRequest(record);
    return record;
  }
  if (type !== 'access') {
    // Erasure and correction reach every processor that received the data (GDPR 19, PIPL 47).
    const propagationId = `propagation-${requestId}`;
    record = { ...record, propagationId, ...(out.fieldsCorrected ? { fieldsCorrected: out.fieldsCorrected } : {}) };
    await acts.recordSubjectRequest(record);
    await executeChild(propagation, {
      workflowId: propagationId,
      args: [
        {
          v: 1,
          changeId: requestId,
          kind: type === 'erase' ? 'erased' : 'corrected',
          subjectRef,
          fields: out.fieldsCorrected,
          retry: input.propagationRetry,
        },
      ],
    });
  }
  if (out.bundleId) {
    record = { ...record, bundleId: out.bundleId };
    // The window is the policy's, which the export reports; one recorded before it did leaves the bundle to the
    // daily retention run, which applies that same window.
    const retentionMs = out.bundleRetentionMs;
    if (retentionMs !== undefined) {
      // Abandoned, so the request closes (and stops counting as open) while the bundle's timer keeps running.
      await startChild(accessBundleRetention, {
        workflowId: `bundle-retention-${requestId}`,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [{ v: 1, subjectRef, bundleId: out.bundleId, retentionMs }],
      });
      record = { ...record, bundleExpiresAt: new Date(Date.now() + retentionMs).toISOString() };
    }
  }
  record = { ...record, status: 'completed', completedAt: new Date().toISOString() };
  await acts.recordSubjectRequest(record);
  return record;
}
