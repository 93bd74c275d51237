import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ulid } from 'ulid';
import type { RetentionSummary } from '../../activities/retention.js';
import type { SubjectRef } from '../../domain/ids.js';
import { profileRetentionDue } from '../../domain/retention.js';
import { retentionScheduleId, ensureRetentionSchedule } from '../../infra/temporal/retention-schedule.js';
import { policy } from '../../policy/index.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const DAY = 86_400_000;

test('profileRetentionDue: inactive after the activity period, withdrawn after the shorter one, undated never', () => {
  const r = policy.retention;
  const now = Date.parse('2030-01-01T00:00:00Z');
  const at = (days: number) => new Date(now - days * DAY).toISOString();
  assert.equal(
    profileRetentionDue([{ type: 'granted', occurredAt: at(r.profileAfterLastActivityDays + 1) }], r, now),
    'inactive',
  );
  assert.equal(
    profileRetentionDue([{ type: 'granted', occurredAt: at(r.profileAfterLastActivityDays - 1) }], r, now),
    undefined,
  );
  assert.equal(
    profileRetentionDue([{ type: 'withdrawn', occurredAt: at(r.profileAfterWithdrawalDays + 1) }], r, now),
    'withdrawn',
  );
  assert.equal(
    profileRetentionDue(
      [
        { type: 'granted', occurredAt: at(400) },
        { type: 'withdrawn', occurredAt: at(r.profileAfterWithdrawalDays + 1) },
      ],
      r,
      now,
    ),
    undefined,
    'a live answer on another purpose keeps the profile',
  );
  assert.equal(
    profileRetentionDue([{ type: 'withdrawn', occurredAt: at(r.profileAfterWithdrawalDays - 1) }], r, now),
    undefined,
  );
  assert.equal(profileRetentionDue([], r, now), undefined);
});

async function run(asOf: Date): Promise<RetentionSummary> {
  const h = await engine.client.workflow.start('retention', {
    taskQueue: engine.taskQueue,
    workflowId: `retention-${ulid()}`,
    args: [{ v: 1, asOf: asOf.toISOString() }],
  });
  return (await h.result()) as RetentionSummary;
}

test('a retention run shreds profiles past retention keeping their suppression, deletes old bundles, and logs each action', async () => {
  const withdrawnAt = new Date();
  const stale = await engine.seed(uniqueId('ret-w'), { email: `${uniqueId('w')}@example.org`, first_name: 'Wu' }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  await engine.services.consent.append({
    ...(await engine.services.consent.events(stale as SubjectRef))[0]!,
    id: ulid(),
    type: 'withdrawn',
    occurredAt: withdrawnAt.toISOString(),
  });
  const fresh = await engine.seed(uniqueId('ret-f'), { email: `${uniqueId('f')}@example.org` }, [
    { purpose: 'marketing.email.newsletter' },
  ]);
  const dsar = join(engine.config.dataDir, 'dsar');
  mkdirSync(dsar, { recursive: true });
  const oldBundle = join(dsar, `${uniqueId('b')}.json`);
  const newBundle = join(dsar, `${uniqueId('b')}.json`);
  writeFileSync(oldBundle, '{}');
  writeFileSync(newBundle, '{}');
  // The injected clock: the run sees a date past the withdrawal period but inside the activity period.
  const asOf = new Date(withdrawnAt.getTime() + (policy.retention.profileAfterWithdrawalDays + 1) * DAY);
  utimesSync(oldBundle, new Date(asOf.getTime() - 40 * DAY), new Date(asOf.getTime() - 40 * DAY));
  utimesSync(newBundle, new Date(asOf.getTime() - 2 * DAY), new Date(asOf.getTime() - 2 * DAY));

  const summary = await run(asOf);
  assert.ok(summary.profiles.withdrawn >= 1);
  assert.ok(summary.accessBundles >= 1);
  assert.equal(existsSync(oldBundle), false);
  assert.equal(existsSync(newBundle), true);
  const [staleState, freshState] = await engine.services.consent.loadGuardStates([
    stale as SubjectRef,
    fresh as SubjectRef,
  ]);
  assert.equal(staleState!.erased, true, 'the withdrawn profile was shredded');
  assert.ok(
    staleState!.suppressions.some((s) => s.kind === 'erased' && s.source === 'retention:withdrawn'),
    'its suppression stays',
  );
  assert.equal((await engine.services.subjects.readFields(stale as SubjectRef, ['email'])).status, 'erased');
  assert.equal(freshState!.erased, false, 'a current subscriber is kept');

  const entries = [];
  for await (const e of engine.services.log.query({ kind: 'operator' })) if (e.stepId === 'retention') entries.push(e);
  assert.ok(
    entries.some(
      (e) => e.subjectRef === stale && /removed=profile profile_shredded reason=withdrawn/.test(e.result ?? ''),
    ),
  );
  assert.ok(
    entries.some((e) => /removed=access_bundle \S+\.json from=\S+ to=\S+ reason=older_than_30d/.test(e.result ?? '')),
  );

  // A second run the same day finds nothing new and logs nothing twice.
  const again = await run(asOf);
  assert.deepEqual([again.profiles.withdrawn, again.accessBundles], [0, 0]);
  let after = 0;
  for await (const e of engine.services.log.query({ kind: 'operator' })) if (e.stepId === 'retention') after++;
  assert.equal(after, entries.length, 'no retention entry appended twice');
});

test('the retention schedule is created once per task queue', async () => {
  const tq = `${engine.taskQueue}-${uniqueId('sched')}`;
  assert.equal(await ensureRetentionSchedule(engine.client, tq), 'created');
  assert.equal(await ensureRetentionSchedule(engine.client, tq), 'exists');
  const d = await engine.client.schedule.getHandle(retentionScheduleId(tq)).describe();
  assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'retention');
  await engine.client.schedule.getHandle(retentionScheduleId(tq)).delete();
});
