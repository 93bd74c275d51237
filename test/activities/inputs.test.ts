import assert from 'node:assert/strict';
import type { GuardState } from '../../domain/consent-state.js';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import type { SubjectRef } from '../../domain/ids.js';
import { ChunkPlanInput, INVALID_INPUT_FAILURE, parseInput, SendStepInput } from '../../activities/inputs.js';
import { createPropagationActivities, type PropagationDeps } from '../../activities/propagation.js';
import { createSubjectRequestActivities, type SubjectRequestDeps } from '../../activities/subject-request.js';

const ref = 'sr_AAAAAAAAAAAAAAAAAAAAAA';
const spec = {
  campaignId: 'welcome',
  campaignVersion: 'v1',
  workflowId: 'journey:welcome:x',
  runId: 'r1',
  stepId: 'send-hello',
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  processor: 'smtp-relay',
  templateId: 'hello',
};

// Deps that record what reached them; every activity below must stop at its input before touching any.
function recordingDeps(calls: string[]): SubjectRequestDeps {
  const record =
    <T>(name: string, result: T) =>
    async (...args: unknown[]): Promise<T> => {
      calls.push(`${name}(${String(args[0])})`);
      return result;
    };
  const propagation: PropagationDeps = {
    signalJourneys: record('signalJourneys', 1),
    deliveredProcessors: record('deliveredProcessors', []),
    propagationStatus: { put: record('put', undefined), get: record('get', undefined) },
    notifier: { notify: record('notify', { ok: true as const }) },
    identities: { forChange: record('forChange', undefined) },
    correctedValues: record('correctedValues', {}),
    transportProcessors: new Set(),
    now: () => new Date(0),
    guardState: record('guardState', {
      consent: {},
      suppressions: [],
      erased: false,
      personalisation: 'on',
    } as unknown as GuardState),
    appendLog: record('appendLog', []),
    policy: () => {
      throw new Error('not used');
    },
  };
  return {
    ...propagation,
    subjectRights: {
      erase: record('erase', { alreadyErased: false }),
    } as unknown as SubjectRequestDeps['subjectRights'],
    requests: {
      audit: record('audit', undefined),
      bundlesOf: record('bundlesOf', []),
    } as unknown as SubjectRequestDeps['requests'],
    bundles: { write: record('write', ''), delete: record('delete', true) },
    identities: { forChange: record('forChange', undefined), capture: record('capture', undefined) },
  };
}

const rejectsInput = async (p: Promise<unknown>, activity: string, path: string) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApplicationFailure);
    assert.equal(e.type, INVALID_INPUT_FAILURE);
    assert.equal(e.nonRetryable, true);
    assert.match(e.message, new RegExp(`^${activity} input is invalid: ${path}: `));
    return true;
  });

test('a parsed activity input carries the branded subject ref; a raw address in its place is a non-retryable failure naming the path', () => {
  const parsed = parseInput(SendStepInput, { spec, subjectRef: ref }, 'sendStep');
  const typed: SubjectRef = parsed.subjectRef;
  assert.equal(typed, ref);
  assert.throws(
    () => parseInput(SendStepInput, { spec, subjectRef: 'ada@example.org' }, 'sendStep'),
    (e: unknown) =>
      e instanceof ApplicationFailure &&
      e.nonRetryable &&
      /^sendStep input is invalid: subjectRef: subjectRef must look like sr_/.test(e.message),
  );
  assert.throws(
    () => parseInput(SendStepInput, { spec: { ...spec, stepId: '' }, subjectRef: ref }, 'sendStep'),
    /spec\.stepId/,
  );
});

test('propagation and subject-request activities refuse a bad input before any dependency is called', async () => {
  const calls: string[] = [];
  const deps = recordingDeps(calls);
  const propagation = createPropagationActivities(deps);
  const requests = createSubjectRequestActivities(deps);
  const change = { v: 1 as const, kind: 'withdrawn' as const, purpose: 'marketing.email.newsletter' };
  await rejectsInput(
    propagation.signalJourneys({ subjectRef: 'ada@example.org', change }),
    'signalJourneys',
    'subjectRef',
  );
  await rejectsInput(
    propagation.signalJourneys({ subjectRef: ref, change: { ...change, kind: 'forgotten' as 'withdrawn' } }),
    'signalJourneys',
    'change.kind',
  );
  await rejectsInput(
    requests.eraseSubject({ requestId: 'req-1', subjectRef: 'cust-42' }),
    'eraseSubject',
    'subjectRef',
  );
  await rejectsInput(
    propagation.markPropagationFailed({ subjectRef: ref, changeId: '', kind: 'erased', processor: 'ads', error: 'x' }),
    'markPropagationFailed',
    'changeId',
  );
  await rejectsInput(requests.deleteAccessBundle({ subjectRef: ref, bundleId: '' }), 'deleteAccessBundle', 'bundleId');
  assert.deepEqual(calls.slice(), [], 'no dependency reached');
  // The same activities with good inputs reach their dependencies with the parsed ref.
  assert.equal(await propagation.signalJourneys({ subjectRef: ref, change }), 1);
  assert.deepEqual(await requests.eraseSubject({ requestId: 'req-1', subjectRef: ref }), { status: 'completed' });
  assert.deepEqual(
    calls.map((c) => c.split('(')[0]),
    ['signalJourneys', 'capture', 'bundlesOf', 'erase', 'audit'],
  );
  assert.equal(calls[0], `signalJourneys(${ref})`);
});

test('a chunk plan takes a run, a bound and sizes within limits, and names what is wrong otherwise', () => {
  assert.deepEqual(
    parseInput(ChunkPlanInput, { runId: 'r1', after: '', count: 500, chunks: 8 }, 'planBroadcastChunks'),
    { runId: 'r1', after: '', count: 500, chunks: 8 },
  );
  assert.throws(
    () => parseInput(ChunkPlanInput, { runId: 'r1', after: '', count: 0, chunks: 500 }, 'planBroadcastChunks'),
    (e: unknown) =>
      e instanceof ApplicationFailure &&
      e.type === INVALID_INPUT_FAILURE &&
      e.nonRetryable &&
      /planBroadcastChunks input is invalid: count: .*; chunks: /.test(e.message),
  );
});
