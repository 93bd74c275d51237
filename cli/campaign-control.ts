import type { Command } from 'commander';
import { OperatorAction } from '../domain/operator-action.js';
import { CampaignControl, CampaignSignalError, controlCampaign } from '../infra/temporal/campaign-control.js';
import type { CliContext } from './context.js';
import { operatorOf, operatorOptions, recordOperator, type OperatorOptions } from './operator-log.js';

const ACTION = {
  pause: OperatorAction.campaign_paused,
  resume: OperatorAction.campaign_resumed,
  cancel: OperatorAction.campaign_cancelled,
} as const;
const DONE = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' } as const;
// What the run flags alone do while the workflows cannot be signalled.
const HELD = {
  pause:
    'its runs are flagged paused, so no further send starts (a broadcast page in flight stops at its next send, a journey at its next send step)',
  resume:
    'the pause flags of its runs are lifted (a held broadcast or journey waits for the resume signal, or reads the flag again within the hour)',
  cancel:
    'its runs are flagged cancelled, so no further send starts (a broadcast page in flight stops at its next send, a journey at its next send step)',
} as const;
const WHAT = {
  pause: 'pause a running campaign: no further pages are sent until it is resumed',
  resume: 'resume a paused campaign',
  cancel:
    'cancel a running campaign: it stops after the page in flight and closes its run with a summary; its journeys end before their next step (logged as exited, campaign_cancelled)',
} as const;

/** `campaign pause|resume|cancel <id> --reason`: each one an operator entry with its actor. */
export function addCampaignControlCommands(
  campaign: Command,
  ctx: CliContext,
  known: (id: string) => Promise<void>,
): void {
  for (const control of Object.values(CampaignControl)) {
    operatorOptions(
      campaign.command(control).description(WHAT[control]).argument('<id>', 'campaign id'),
      'why (required; kept in the decision log)',
    )
      .option('--json', 'print the result as JSON')
      .action(async (id: string, o: OperatorOptions & { json?: boolean }) => {
        const op = operatorOf(ctx, o, `to ${control} a campaign: the log keeps why a run was interrupted`);
        await known(id);
        let r: Awaited<ReturnType<typeof controlCampaign>>;
        try {
          r = await controlCampaign(() => ctx.temporal(), (await ctx.services()).runs, id, control);
        } catch (e) {
          if (!(e instanceof CampaignSignalError) || e.runsFlagged === 0) throw e;
          // The flags took effect (sends are held, or released), so the act is recorded; the signals are owed.
          await recordOperator(ctx, op, { action: ACTION[control], campaignId: id });
          process.stderr.write(
            `${id}: ${HELD[control]}, but ${e.message}; run \`consentflow campaign ${control} ${id}\` again once Temporal is reachable to signal its workflows\n`,
          );
          process.exitCode = 75;
          return;
        }
        if (r === 'not_running') {
          ctx.print(
            o.json,
            { campaignId: id, result: r },
            () => `${id} has no open run to ${control}; start it with \`consentflow campaign start ${id}\``,
          );
          process.exitCode = 1;
          return;
        }
        await recordOperator(ctx, op, { action: ACTION[control], campaignId: id });
        ctx.print(
          o.json,
          { campaignId: id, result: DONE[control], actor: op.actor },
          () => `${id}: ${DONE[control]} (recorded for ${op.actor})`,
        );
      });
  }
}
