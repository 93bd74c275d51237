import { ApplicationFailure } from '@temporalio/activity';
import type { ConsentEvent } from '../domain/consent.js';
import type { GuardState } from '../domain/consent-state.js';
import type { LogEntry } from '../domain/decision-log.js';
import type { SubjectRef } from '../domain/ids.js';
import { checkCorrections, type SubjectRequestRecord } from '../domain/subject-request.js';
import type { Suppression } from '../domain/suppression.js';
import { discardBundle } from '../infra/dsar-bundles.js';
import { accessSummary } from './access-summary.js';
import { policyOfRecord } from './content.js';
import { createPropagationActivities, type PropagationDeps } from './propagation.js';
import { AccessBundleInput, parseInput, SubjectRequestStepInput } from './inputs.js';

type Read =
  { status: 'found'; fields: Readonly<Record<string, string>> } | { status: 'not_found' } | { status: 'erased' };

/** What subject-request activities need; all injected by the worker. */
export interface SubjectRequestDeps extends PropagationDeps {
  readonly subjectRights: {
    readAll(ref: SubjectRef): Promise<Read>;
    /** Writes fields for a subject id; `ref` is what the id pseudonymises to (checked against the request). */
    upsert(
      subjectId: string,
      fields: Readonly<Record<string, string>>,
    ): Promise<{ status: 'written' | 'refused'; ref: SubjectRef }>;
    erase(ref: SubjectRef, source: string): Promise<{ readonly alreadyErased: boolean }>;
    consentEvents(ref: SubjectRef): Promise<ConsentEvent[]>;
    suppressions(ref: SubjectRef): Promise<Suppression[]>;
    guardState(ref: SubjectRef): Promise<GuardState>;
    logEntries(ref: SubjectRef): Promise<LogEntry[]>;
  };
  readonly requests: {
    put(r: SubjectRequestRecord): Promise<void>;
    stagedCorrections(requestId: string): Promise<{ subjectId: string; fields: Record<string, string> } | undefined>;
    dropCorrections(requestId: string): Promise<void>;
    audit(
      ref: SubjectRef,
      e: { action: string; requestId: string; fields?: readonly string[]; at: string },
    ): Promise<void>;
    trackBundle(ref: SubjectRef, bundleId: string): Promise<void>;
    bundlesOf(ref: SubjectRef): Promise<string[]>;
    untrackBundle(ref: SubjectRef, bundleId: string): Promise<void>;
  };
  readonly bundles: {
    write(bundleId: string, bundle: unknown, summary: string): Promise<string>;
    delete(bundleId: string): Promise<boolean>;
  };
  readonly identities: PropagationDeps['identities'] & { capture(changeId: string, ref: SubjectRef): Promise<void> };
}

/** The outcome of one request step, as the workflow records it (ids and field names only). */
export type StepOutcome =
  | {
      readonly status: 'completed';
      readonly bundleId?: string;
      readonly bundleRetentionMs?: number;
      readonly fieldsCorrected?: string[];
    }
  | { readonly status: 'refused'; readonly refusal: string };

/** Activities of the `subjectRequest` workflow (access, correct, erase) plus the propagation ones. */
export function createSubjectRequestActivities(deps: SubjectRequestDeps) {
  const r = deps.subjectRights;
  return {
    ...createPropagationActivities(deps),

    /** Mirrors the request's status into Redis, where the API and the compliance review read it. */
    async recordSubjectRequest(record: SubjectRequestRecord): Promise<void> {
      await deps.requests.put(record);
    },

    /**
     * Exports profile, consent history, suppressions and every log entry; only the bundle id returns to history,
     * with how long an undelivered bundle is kept: the policy's `accessBundlesDays`, the window the daily retention
     * run applies too.
     */
    async exportAccessBundle(raw: { requestId: string; subjectRef: string }): Promise<StepOutcome> {
      const input = parseInput(SubjectRequestStepInput, raw, 'exportAccessBundle');
      const ref = input.subjectRef;
      const policy = await policyOfRecord(deps);
      const [profile, consentHistory, suppressions, state, log] = await Promise.all([
        r.readAll(ref),
        r.consentEvents(ref),
        r.suppressions(ref),
        r.guardState(ref),
        r.logEntries(ref),
      ]);
      const bundle = {
        format: 'consentflow-access-bundle/v1',
        requestId: input.requestId,
        generatedAt: deps.now().toISOString(),
        subjectRef: ref,
        profile: { status: profile.status, fields: profile.status === 'found' ? profile.fields : {} },
        personalisation: state.personalisation,
        consentHistory,
        suppressions,
        decisionLog: log,
      };
      // Indexed first: a bundle erasure cannot find would outlive the subject's other data.
      await deps.requests.trackBundle(ref, input.requestId);
      await deps.bundles.write(input.requestId, bundle, accessSummary(bundle, policy.bundle));
      return {
        status: 'completed',
        bundleId: input.requestId,
        bundleRetentionMs: policy.bundle.retention.accessBundlesDays * 86_400_000,
      };
    },

    /** Applies staged corrections after re-validating them; records field names (never values) in the audit trail. */
    async applyCorrections(raw: { requestId: string; subjectRef: string }): Promise<StepOutcome> {
      const input = parseInput(SubjectRequestStepInput, raw, 'applyCorrections');
      const ref = input.subjectRef;
      const staged = await deps.requests.stagedCorrections(input.requestId);
      if (!staged) return { status: 'refused', refusal: 'no_staged_corrections' };
      // Checked against the policy of record, so a field a deploy has since removed is refused.
      const check = checkCorrections(staged.fields, (await policyOfRecord(deps)).bundle.subjectFields);
      if (!check.ok)
        throw ApplicationFailure.create({
          type: 'InvalidCorrectionFailure',
          nonRetryable: true,
          message: check.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        });
      const current = await r.readAll(ref);
      if (current.status !== 'found') {
        await deps.requests.audit(ref, {
          action: `correction_refused:${current.status}`,
          requestId: input.requestId,
          fields: Object.keys(check.fields),
          at: deps.now().toISOString(),
        });
        return { status: 'refused', refusal: current.status === 'erased' ? 'subject_erased' : 'subject_not_found' };
      }
      // Processors know the subject by the address they received, which this correction may change.
      await deps.identities.capture(input.requestId, ref);
      // The subject store writes by subject id; the staged id must pseudonymise to the request's subject.
      const written = await r.upsert(staged.subjectId, check.fields);
      if (written.ref !== ref)
        throw ApplicationFailure.create({
          type: 'InvalidCorrectionFailure',
          nonRetryable: true,
          message: 'staged corrections belong to another subject',
        });
      if (written.status === 'refused') return { status: 'refused', refusal: 'subject_erased' };
      const fields = Object.keys(check.fields).sort();
      await deps.requests.audit(ref, {
        action: 'corrected',
        requestId: input.requestId,
        fields,
        at: deps.now().toISOString(),
      });
      await deps.requests.dropCorrections(input.requestId);
      return { status: 'completed', fieldsCorrected: fields };
    },

    /** Crypto-shreds the profile and leaves the erasure suppression (the store does both in one MULTI). */
    async eraseSubject(raw: { requestId: string; subjectRef: string }): Promise<StepOutcome> {
      const input = parseInput(SubjectRequestStepInput, raw, 'eraseSubject');
      const ref = input.subjectRef;
      await deps.identities.capture(input.requestId, ref);
      for (const bundleId of await deps.requests.bundlesOf(ref))
        await discardBundle(deps, ref, bundleId, 'erasure', deps.now());
      const { alreadyErased } = await r.erase(ref, `dsar:${input.requestId}`);
      await deps.requests.audit(ref, {
        action: alreadyErased ? 'erase_repeated' : 'erased',
        requestId: input.requestId,
        at: deps.now().toISOString(),
      });
      return { status: 'completed' };
    },

    /** Deletes an access bundle once its retention window ends (a no-op when it was delivered or erased before). */
    async deleteAccessBundle(raw: { subjectRef: string; bundleId: string }): Promise<void> {
      const input = parseInput(AccessBundleInput, raw, 'deleteAccessBundle');
      await discardBundle(deps, input.subjectRef, input.bundleId, 'retention', deps.now());
    },
  };
}
