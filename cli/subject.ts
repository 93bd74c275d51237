import { SingleBar, Presets } from 'cli-progress';
import { SubjectImportFileError, importSubjects, type SubjectImportReport } from '../infra/redis/subject-import.js';
import { CliUsageError, type RegisterCommands } from './context.js';
import { subjectStores } from './subject-stores.js';

// Below this size an import finishes before a bar would be useful.
const PROGRESS_MIN_BYTES = 1 << 20;

function human(r: SubjectImportReport, shown: number): string {
  const lines = [
    r.written
      ? `imported ${r.imported} of ${r.rows} rows (${r.invalidRows} invalid, ${r.refused.length} refused)`
      : `--strict: nothing imported; ${r.invalidRows} of ${r.rows} rows invalid, ${r.refused.length} refused`,
    ...r.problems.slice(0, shown).map((p) => `  line ${p.line}: ${p.field}: ${p.problem}`),
  ];
  if (r.problemCount > shown)
    lines.push(`  … and ${r.problemCount - shown} more problems (use --json for up to ${r.problems.length})`);
  lines.push(
    ...r.refused
      .slice(0, shown)
      .map(
        (x) =>
          `  line ${x.line}: ${x.subjectRef} refused: ${x.reason === 'erased_without_new_consent' ? 'this subject or address was erased; record new consent before re-importing' : x.reason}`,
      ),
  );
  return lines.join('\n');
}

/** `subject import`: validated, encrypted, streaming import of subject profiles. */
export const registerSubjectCommands: RegisterCommands = (program, ctx) => {
  const subject = program.command('subject').description('subject profiles (encrypted per subject)');
  subject
    .command('import')
    .description('import profiles from JSONL (one object per line) or CSV (header row); consent is recorded separately')
    .argument('<file>', 'a .jsonl or .csv file; columns: id plus fields from policy/subject-fields.ts')
    .option('--strict', 'validate every row first and import nothing if any row is invalid or refused')
    .option('--batch <n>', 'rows per pipelined write', '500')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { strict?: boolean; batch: string; json?: boolean }) => {
      const batchSize = Number(o.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
        throw new CliUsageError(`--batch "${o.batch}" must be a whole number from 1 to 10000`);
      const bar = new SingleBar(
        { format: 'importing [{bar}] {percentage}% | {eta_formatted} left', stream: process.stderr },
        Presets.shades_classic,
      );
      let started = false;
      const onProgress = (done: number, total: number) => {
        if (o.json || !process.stderr.isTTY || total < PROGRESS_MIN_BYTES) return;
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      };
      let report: SubjectImportReport;
      try {
        report = await importSubjects({
          file,
          store: (await subjectStores(ctx)).subjects,
          fields: (await ctx.policy()).subjectFields,
          strict: o.strict,
          batchSize,
          onProgress,
        });
      } catch (e) {
        if (e instanceof SubjectImportFileError) throw new CliUsageError(e.message);
        throw e;
      } finally {
        if (started) bar.stop();
      }
      ctx.print(o.json, report, () => human(report, 20));
      // Bad rows are the output, not a crash: exit 1 so scripts notice, like `policy check`.
      if (report.problemCount > 0 || report.refused.length > 0) process.exitCode = 1;
    });
};
