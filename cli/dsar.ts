import type { Command } from 'commander';
import {
  checkCorrections,
  isOverdue,
  type SubjectRequestRecord,
  type SubjectRequestType,
} from '../domain/subject-request.js';
import { rightsStores } from '../infra/subject-request-deps.js';
import {
  newSubjectRequestId,
  startSubjectRequest,
  subjectRequestStatus,
  waitForSubjectRequest,
} from '../infra/temporal/rights.js';
import type { PolicyBundle } from '../domain/policy.js';
import { type CliContext, CliUsageError, type RegisterCommands } from './context.js';
import { subjectRefOf } from './subject-stores.js';
import { OperatorAction } from '../domain/operator-action.js';
import { operatorOf, operatorOptions, recordOperator, type OperatorOptions } from './operator-log.js';

interface DsarOptions extends OperatorOptions {
  subject?: string;
  field: string[];
  wait?: boolean;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function human(r: SubjectRequestRecord, dataDir: string): string {
  const lines = [
    `${r.requestId}  ${r.type}  ${r.status}${r.refusal ? ` (${r.refusal})` : ''}`,
    `  subject   ${r.subjectRef}`,
    `  received  ${r.receivedAt}  deadline ${r.deadline}${isOverdue(r, new Date()) ? '  OVERDUE' : ''}`,
  ];
  if (r.completedAt) lines.push(`  completed ${r.completedAt}`);
  if (r.bundleId)
    lines.push(
      `  bundle    ${dataDir}/dsar/${r.bundleId}.json (+ .txt summary)${r.bundleExpiresAt ? `, deleted by ${r.bundleExpiresAt}` : ''}`,
    );
  if (r.fieldsCorrected) lines.push(`  corrected ${r.fieldsCorrected.join(', ')}`);
  if (r.propagationId) lines.push(`  processors informed by workflow ${r.propagationId}`);
  return lines.join('\n');
}

/** Parses `--field name=value` options into validated corrections, or a usage error naming each bad field. */
function corrections(fields: readonly string[], policy: PolicyBundle): Record<string, string> {
  if (!fields.length) throw new CliUsageError('dsar correct needs at least one --field name=value');
  const raw: Record<string, string> = {};
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq < 1) throw new CliUsageError(`--field "${f.slice(0, 40)}" must be name=value`);
    raw[f.slice(0, eq)] = f.slice(eq + 1);
  }
  const check = checkCorrections(raw, policy.subjectFields);
  // Messages name the field, never echo the value (it is personal data).
  if (!check.ok)
    throw new CliUsageError(check.issues.map((i) => `--field ${i.path.slice(1).join('.')}: ${i.message}`).join('; '));
  return { ...check.fields };
}

function requestCommand(parent: Command, ctx: CliContext, type: SubjectRequestType, description: string): void {
  const cmd = parent
    .command(type)
    .description(description)
    .option('--subject <id>', 'the subject id as your systems know it')
    .option('--wait', 'wait for the request to finish and print its final status')
    .option('--json', 'print the status as JSON');
  operatorOptions(cmd, 'how the request reached you, e.g. a ticket id (kept in the decision log, no personal data)');
  if (type === 'correct') cmd.option('--field <name=value>', 'a corrected field (repeatable)', collect, []);
  cmd.action(async (o: DsarOptions) => {
    const config = ctx.config();
    const op = operatorOf(ctx, o);
    const ref = subjectRefOf({ subject: o.subject }, ctx);
    const requestId = newSubjectRequestId(type);
    if (type === 'correct') {
      const fields = corrections(o.field ?? [], await ctx.policy());
      await rightsStores(config, ctx.redis()).requests.stageCorrections(requestId, { subjectId: o.subject!, fields });
    }
    const client = await ctx.temporal();
    await startSubjectRequest(client, config.taskQueue, {
      requestId,
      type,
      subjectRef: ref,
      deadlineDays: config.env.CONSENTFLOW_DSAR_DEADLINE_DAYS,
    });
    await recordOperator(ctx, op, {
      action: OperatorAction.dsr_received,
      subjectRef: ref,
      detail: `request=${requestId} type=${type}`,
    });
    const record = o.wait
      ? await waitForSubjectRequest(client, requestId)
      : await subjectRequestStatus(client, requestId).catch(() => undefined);
    const value = record ?? { requestId, status: 'received' };
    ctx.print(o.json, value, () =>
      record
        ? human(record, config.dataDir)
        : `${requestId} received; follow it with: consentflow dsar status ${requestId}`,
    );
    if (record?.status === 'refused') process.exitCode = 1;
  });
}

/** `dsar access|correct|erase|status`: data subject requests, run durably by the `subjectRequest` workflow. */
export const registerDsarCommands: RegisterCommands = (program, ctx) => {
  const dsar = program
    .command('dsar')
    .description('data subject requests: access, correct, erase (deadline set at intake)');
  requestCommand(
    dsar,
    ctx,
    'access',
    'export the profile, consent history and every decision-log entry about a subject',
  );
  requestCommand(
    dsar,
    ctx,
    'correct',
    'correct profile fields (validated against the subject schema; audited without values)',
  );
  requestCommand(dsar, ctx, 'erase', 'shred the profile, keep a suppression, stop journeys and inform processors');
  dsar
    .command('status')
    .description('status of a subject request')
    .argument('<requestId>', 'the id printed when the request was made, e.g. dsar-access-01J…')
    .option('--json', 'print as JSON')
    .option(
      '--actor <name>',
      'who reads it, recorded in the decision log (default CONSENTFLOW_ACTOR; only `dev` falls back to $USER)',
    )
    .action(async (id: string, o: { json?: boolean; actor?: string }) => {
      const op = { actor: ctx.actor(o.actor) };
      const r =
        (await subjectRequestStatus(await ctx.temporal(), id)) ??
        (await rightsStores(ctx.config(), ctx.redis()).requests.get(id));
      if (!r)
        throw new CliUsageError(
          `no subject request ${id}; ids look like dsar-access-01J… and are printed when a request is made; the API lists them at GET /v1/subject-requests`,
        );
      await recordOperator(ctx, op, {
        action: OperatorAction.dsr_outcome_read,
        subjectRef: r.subjectRef,
        detail: `request=${r.requestId} status=${r.status}`,
      });
      ctx.print(o.json, { ...r, overdue: isOverdue(r, new Date()) }, () => human(r, ctx.config().dataDir));
    });
};
