import { readFileSync } from 'node:fs';
import { createProcessMetrics } from '../infra/metrics/provider.js';
import { complaintIntakeFor } from '../infra/complaints/compose.js';
import { createLogger } from '../infra/logging.js';
import { CliUsageError, type RegisterCommands } from './context.js';

/** sysexits: the message is not a feedback report (the MTA bounces it), or a store is down (the MTA retries). */
const EX_DATAERR = 65;
const EX_TEMPFAIL = 75;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `complaint arf`: one message from the abuse mailbox, as an MTA pipe delivers it (Postfix `abuse: "|consentflow
 * complaint arf"`); the same intake as dev's SMTP sink and `POST /v1/complaints`.
 */
export const registerComplaintCommands: RegisterCommands = (program, ctx) => {
  const complaint = program
    .command('complaint')
    .description('complaint intake: feedback-loop (ARF) reports sent to the abuse address');
  complaint
    .command('arf')
    .description(
      'record the complaint in one RFC 5965 feedback report read from stdin (or --file); exit 65 when it is not one, 75 when a store is down',
    )
    .option('--file <path>', 'read the message from this .eml file instead of stdin')
    .option('--json', 'print the outcome as JSON')
    .action(async (o: { file?: string; json?: boolean }) => {
      let raw: Buffer;
      try {
        raw = o.file ? readFileSync(o.file) : await readStdin();
      } catch (e) {
        throw new CliUsageError(
          `--file ${o.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
        );
      }
      if (raw.length === 0)
        throw new CliUsageError(
          'no message to read: pipe the report in (consentflow complaint arf < report.eml) or name it with --file',
        );
      const services = await ctx.services();
      const logger = createLogger({
        name: 'consentflow-complaints',
        level: ctx.config().env.CONSENTFLOW_LOG_LEVEL ?? 'info',
      });
      // This process's own provider: nothing scrapes a one-shot command, but intake counts as it does in the API.
      const metrics = createProcessMetrics('consentflow-complaints');
      const intake = complaintIntakeFor(services, ctx.redis(), { meter: metrics.meter, logger });
      const r = await intake
        .receiveArf(raw)
        .catch((e: unknown) => {
          console.error(`error: the complaint could not be recorded, try again (${(e as Error).message})`);
          process.exitCode = EX_TEMPFAIL;
          return undefined;
        })
        .finally(() => metrics.shutdown());
      if (!r) return;
      ctx.print(o.json, r, () => {
        switch (r.status) {
          case 'recorded':
            return `complaint recorded: ${r.subjectRef} suppressed (campaign ${r.campaignId ?? 'unknown'}, log entry ${r.entryId})`;
          case 'duplicate':
            return `complaint about this message was already recorded (${r.subjectRef})`;
          case 'unmatched':
            return 'the report names no message this deployment sent in the last 30 days; nothing recorded';
          case 'not_a_complaint':
            return 'the report says not-spam; nothing recorded';
          case 'malformed':
            return `not a feedback report (${r.code}): ${r.message}`;
        }
      });
      if (r.status === 'malformed') process.exitCode = EX_DATAERR;
    });
};
