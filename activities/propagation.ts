import { ApplicationFailure, Context } from '@temporalio/activity';
import type { SubjectRef } from '../domain/ids.js';
import type { ProcessorNotifier, ProcessorSubject, PropagationRecord } from '../domain/propagation.js';
import type { ConsentChange } from '../domain/consent-change.js';
import type { GuardState } from '../domain/consent-state.js';
import type { CompiledPolicy } from '../domain/policy.js';
import { judgeNotice, noticeIsTransfer } from '../domain/notice-transfer.js';
import { noticeEntry } from './notice-entry.js';
import { policyOfRecord, type ContentSource } from './content.js';
import type { AppendLog } from './send-ports.js';
import type { AlertInput } from '../domain/alert.js';
import type { z } from 'zod';
import {
  InformInput,
  parseInput,
  PlanPropagationInput,
  PropagationFailedInput,
  SignalJourneysInput,
} from './inputs.js';

export type { InformInput } from './inputs.js';

/** What propagation activities need; all injected by the worker. */
export interface PropagationDeps {
  /** Signals the subject's running journeys; returns how many were signalled. */
  readonly signalJourneys: (ref: SubjectRef, change: ConsentChange) => Promise<number>;
  /** The processors that received the subject's data (from the decision log's delivery entries). */
  readonly deliveredProcessors: (ref: SubjectRef) => Promise<string[]>;
  readonly propagationStatus: {
    put(ref: SubjectRef, r: PropagationRecord): Promise<void>;
    get(ref: SubjectRef, changeId: string, processor: string): Promise<PropagationRecord | undefined>;
  };
  readonly notifier: ProcessorNotifier;
  /** How the processor knows the subject (captured before an erasure or correction changed the profile). */
  readonly identities: {
    forChange(changeId: string, ref: SubjectRef, processor: string): Promise<ProcessorSubject | undefined>;
  };
  /** The current values of those of `fields` the processor received; values never pass through Temporal history. */
  readonly correctedValues: (
    ref: SubjectRef,
    processor: string,
    fields: readonly string[],
  ) => Promise<Record<string, string>>;
  /** Processors that only carry messages and keep nothing to act on: informed as soon as we stop sending. */
  readonly transportProcessors: ReadonlySet<string>;
  /** The clock every status and notice is stamped with. */
  readonly now: () => Date;
  /** The subject's consent state, to judge a correction that moves data abroad as a send would be judged. */
  readonly guardState: (ref: SubjectRef) => Promise<GuardState>;
  /** The worker's own policy; the deployed one, when `content` is wired, is the policy of record. */
  readonly policy: () => CompiledPolicy;
  readonly content?: Pick<ContentSource, 'currentPolicy'>;
  /** The decision log: a correction notice's verdict is written before the notice goes out. */
  readonly appendLog: AppendLog;
  /** Raises an alert (de-duplicated by its key); without it a failed propagation is only recorded. */
  readonly raiseAlert?: (a: AlertInput) => Promise<'raised' | 'duplicate'>;
}

/** Activities that tell running journeys and processors about withdrawals, unsubscribes, erasures and corrections. */
export function createPropagationActivities(deps: PropagationDeps) {
  const nowIso = () => deps.now().toISOString();
  const put = (
    i: z.output<typeof InformInput>,
    status: PropagationRecord['status'],
    attempts: number,
    lastError?: string,
  ) =>
    deps.propagationStatus.put(i.subjectRef, {
      changeId: i.changeId,
      kind: i.kind,
      processor: i.processor,
      status,
      attempts,
      updatedAt: nowIso(),
      ...(lastError ? { lastError: lastError.slice(0, 500) } : {}),
    });

  return {
    /** Signals every running journey of the subject; journeys exit before their next send. */
    async signalJourneys(raw: z.input<typeof SignalJourneysInput>): Promise<number> {
      const input = parseInput(SignalJourneysInput, raw, 'signalJourneys');
      return deps.signalJourneys(input.subjectRef, input.change);
    },

    /** Lists the processors that received the subject's data and records each as pending. */
    async planPropagation(raw: z.input<typeof PlanPropagationInput>): Promise<string[]> {
      const input = parseInput(PlanPropagationInput, raw, 'planPropagation');
      const processors = await deps.deliveredProcessors(input.subjectRef);
      for (const processor of processors) {
        const existing = await deps.propagationStatus.get(input.subjectRef, input.changeId, processor);
        if (!existing) await put({ ...input, processor }, 'pending', 0);
      }
      return processors;
    },

    /** Informs one processor; a retryable failure throws so Temporal retries with backoff. */
    async informProcessor(raw: InformInput): Promise<'informed' | 'withheld'> {
      const input = parseInput(InformInput, raw, 'informProcessor');
      const attempt = Context.current().info.attempt;
      if (deps.transportProcessors.has(input.processor)) {
        await put(input, 'informed', attempt);
        return 'informed';
      }
      const ref = input.subjectRef;
      const subject = await deps.identities.forChange(input.changeId, ref, input.processor);
      if (!subject) {
        // Our pseudonym means nothing to the processor; without an address it received there is nothing to match.
        const reason = `no address of the subject that ${input.processor} received is known; inform it by hand`;
        await put(input, 'pending', attempt, reason);
        throw ApplicationFailure.create({ type: 'SubjectUnidentifiableFailure', nonRetryable: true, message: reason });
      }
      let corrections: Record<string, string> | undefined;
      if (input.kind === 'corrected') {
        corrections = await deps.correctedValues(ref, input.processor, input.fields ?? []);
        // It holds none of the corrected fields: nothing of its copy is wrong.
        if (!Object.keys(corrections).length) {
          await put(input, 'informed', attempt);
          return 'informed';
        }
      }
      const moved = Object.keys(corrections ?? {});
      if (noticeIsTransfer(input.kind, moved)) {
        // New values to a processor are a transfer like a send (PIPL 38-39): judged and logged before they leave.
        const verdict = judgeNotice(
          input.processor,
          await deps.guardState(ref),
          await policyOfRecord(deps),
          deps.now(),
        );
        const key = `${input.changeId}|${input.processor}|notice|${verdict.outcome}`;
        await deps.appendLog([noticeEntry(input, verdict, moved)], { idempotencyKeys: [key] });
        if (verdict.outcome === 'deny') {
          await put(input, 'withheld', attempt, `withheld: ${verdict.reasons.join(', ')}`);
          return 'withheld';
        }
      }
      const r = await deps.notifier.notify(input.processor, {
        v: 2,
        changeId: input.changeId,
        kind: input.kind,
        subject,
        at: nowIso(),
        ...(corrections ? { corrections } : {}),
        ...(input.purpose ? { purpose: input.purpose } : {}),
        ...(input.channel ? { channel: input.channel } : {}),
      });
      if (r.ok) {
        await put(input, 'informed', attempt);
        return 'informed';
      }
      await put(input, 'pending', attempt, r.reason);
      throw ApplicationFailure.create({
        type: r.retryable ? 'ProcessorUnavailableFailure' : 'ProcessorRefusedFailure',
        nonRetryable: !r.retryable,
        message: r.reason,
      });
    },

    /**
     * Records that a processor could not be informed after every retry (about two days: the unsubscribe deadline
     * mailbox providers set, our SLA) and alerts, since the processor may still be acting on withdrawn data.
     */
    async markPropagationFailed(raw: z.input<typeof PropagationFailedInput>): Promise<void> {
      const input = parseInput(PropagationFailedInput, raw, 'markPropagationFailed');
      const prev = await deps.propagationStatus.get(input.subjectRef, input.changeId, input.processor);
      await put(input, 'failed', prev?.attempts ?? 0, input.error);
      await deps.raiseAlert?.({
        v: 1,
        kind: 'propagation_overdue',
        key: `propagation_overdue:${input.changeId}:${input.processor}`.replace(/[^A-Za-z0-9:._-]/g, '_'),
        text: `Processor ${input.processor} was not informed of ${input.kind} change ${input.changeId} within its retry window (${prev?.attempts ?? 0} attempts); tell it by hand and check its webhook (CONSENTFLOW_PROCESSOR_WEBHOOKS).`,
        at: nowIso(),
        facts: { processor: input.processor, change: input.changeId, kind: input.kind, attempts: prev?.attempts ?? 0 },
      });
    },
  };
}
