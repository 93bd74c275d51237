import type { VerifyReport } from '../infra/redis/decision-log-verify.js';
import { alertRaiser } from '../infra/alerts/raise.js';
import type { CliContext } from './context.js';

/**
 * Raises the alert of a broken chain, keyed by the first break so that running verify again does not alert twice.
 * The verdict stands without Temporal: a failure to raise is told on stderr and verify still exits 1.
 */
export async function alertChainBreak(ctx: CliContext, report: VerifyReport): Promise<void> {
  const first = report.breaks[0];
  if (!first) return;
  try {
    const raise = alertRaiser(await ctx.temporal(), ctx.config().taskQueue);
    await raise({
      v: 1,
      kind: 'chain_break',
      key: `chain_break:${first.partition}:${first.seq}:${first.kind}`.replace(/[^A-Za-z0-9:._-]/g, '_'),
      text: `consentflow log verify found ${report.breaks.length} break(s) in the decision log; the first is chain ${first.partition} at seq ${first.seq} (${first.kind}). Treat the log as tampered until it is explained; \`consentflow log verify --json\` lists every break.`,
      at: new Date().toISOString(),
      facts: { breaks: report.breaks.length, chain: first.partition, seq: first.seq, kind: first.kind },
    });
  } catch (e) {
    console.error(
      `the chain-break alert could not be raised (${(e as Error).message}); tell the compliance contact yourself`,
    );
  }
}
