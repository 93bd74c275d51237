import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { JourneyInput } from '../../workflows/journey.js';
import type { ConsentChange } from '../../workflows/signals.js';
import { CampaignIdKey, PurposeKey, SubjectRefKey } from './search-attributes.js';

/** Starts one journey with a deterministic id; an existing one (running or finished) means already enrolled. */
export function journeyStarter(client: Client, taskQueue: string) {
  return async (workflowId: string, input: JourneyInput): Promise<'started' | 'exists'> => {
    try {
      await client.workflow.start('journey', {
        taskQueue,
        workflowId,
        args: [input],
        // A finished journey is not re-run by a repeated enrolment.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: CampaignIdKey, value: input.campaign.id },
          { key: PurposeKey, value: input.campaign.purpose },
          { key: SubjectRefKey, value: input.subjectRef },
        ],
      });
      return 'started';
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) return 'exists';
      throw e;
    }
  };
}

/** Signals every running journey of a subject (found by the SubjectRef search attribute) about a consent change. */
export async function signalConsentChange(client: Client, subjectRef: string, change: ConsentChange): Promise<number> {
  let n = 0;
  const query = `SubjectRef = '${subjectRef.replace(/'/g, '')}' AND ExecutionStatus = 'Running' AND WorkflowType = 'journey'`;
  for await (const wf of client.workflow.list({ query })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .signal('consentChanged', change)
      .catch(() => undefined);
    n++;
  }
  return n;
}
