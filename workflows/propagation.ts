import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PropagationKind } from '../domain/propagation.js';

/** One change to propagate: pseudonymous ids only. */
export interface PropagationInput {
  readonly v: 1;
  readonly changeId: string;
  readonly kind: PropagationKind;
  readonly subjectRef: string;
  readonly purpose?: string;
  readonly channel?: string;
  /** Corrections: the names (never the values) of the corrected fields. */
  readonly fields?: readonly string[];
  /** Retry tuning for processor notices; defaults suit production, tests shorten them. */
  readonly retry?: { readonly maximumAttempts?: number; readonly initialIntervalMs?: number };
}

/** The per-processor result of a propagation run. */
export interface PropagationResult {
  readonly journeysSignalled: number;
  /** `withheld`: a correction that would have moved data abroad unlawfully, logged as a denial and not sent. */
  readonly processors: Readonly<Record<string, 'informed' | 'withheld' | 'failed'>>;
}

const { signalJourneys, planPropagation, markPropagationFailed } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10 },
});

/** Tells running journeys and every processor that received the subject's data; each processor retries on its own. */
export async function propagation(input: PropagationInput): Promise<PropagationResult> {
  const { changeId, kind, subjectRef, purpose, channel } = input;
  // A correction changes data, not permission: journeys keep running and re-read fields at each send.
  const journeysSignalled =
    kind === 'corrected' ? 0 : await signalJourneys({ subjectRef, change: { v: 1, kind, purpose, channel } });
  const { informProcessor } = proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: input.retry?.initialIntervalMs ?? 5_000,
      backoffCoefficient: 2,
      maximumInterval: '1 hour',
      // About two days of attempts: the mailbox providers' deadline for honouring an unsubscribe.
      maximumAttempts: input.retry?.maximumAttempts ?? 40,
      nonRetryableErrorTypes: ['ProcessorRefusedFailure', 'SubjectUnidentifiableFailure'],
    },
  });
  const processors = await planPropagation({ subjectRef, changeId, kind, purpose, channel });
  const outcomes = await Promise.all(
    processors.map(async (processor) => {
      const one = { subjectRef, changeId, kind, processor, purpose, channel, fields: input.fields };
      try {
        return [processor, await informProcessor(one)] as const;
      } catch (e) {
        const cause = (e as { cause?: { message?: string } }).cause;
        await markPropagationFailed({ ...one, error: cause?.message ?? (e as Error).message });
        return [processor, 'failed'] as const;
      }
    }),
  );
  return { journeysSignalled, processors: Object.fromEntries(outcomes) };
}
