import type { Command } from 'commander';
import { importConsents, type ConsentImportReport } from '../infra/redis/consent-import.js';
import { RowFileError } from '../infra/row-files.js';
import { CliUsageError, type CliContext } from './context.js';

function human(r: ConsentImportReport, strict: boolean): string {
  const head = r.written
    ? `imported ${r.imported} of ${r.rows} consent event(s) (${r.invalidRows} refused)`
    : `--strict: nothing imported; ${r.invalidRows} of ${r.rows} row(s) have problems`;
  return [
    head,
    ...r.problems.map((p) => `  line ${p.line}: ${p.field}: ${p.problem}`),
    ...(strict || r.problems.length === 0 ? [] : ['  (the other rows were imported)']),
  ].join('\n');
}

/** Adds `consent import <file>`: consent answers collected elsewhere, with their real times and evidence. */
export function addConsentImportCommand(consent: Command, ctx: CliContext): void {
  consent
    .command('import')
    .description(
      'import consent events collected elsewhere (migration), each with its real time and evidence; exit 1 if any row is refused',
    )
    .argument(
      '<file>',
      'a .csv or .jsonl file; columns: subject_id, type, purpose, channel, occurred_at, notice_version, language, collection_point, method, jurisdiction, source, given_by (subject or guardian)',
    )
    .option('--strict', 'check every row first and import nothing if any row has a problem')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { strict?: boolean; json?: boolean }) => {
      const services = await ctx.services();
      let report: ConsentImportReport;
      try {
        report = await importConsents({
          file,
          consent: services.consent,
          pseudonymize: services.pseudonymize,
          policy: await ctx.policy(),
          strict: o.strict,
        });
      } catch (e) {
        if (e instanceof RowFileError) throw new CliUsageError(e.message);
        throw e;
      }
      ctx.print(o.json, report, () => human(report, o.strict ?? false));
      // Refused rows are the output, not a crash: exit 1 so scripts notice, like `subject import`.
      if (report.problems.length > 0) process.exitCode = 1;
    });
}
