import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { Alert, alertWorkflowId, type AlertInput } from '../../domain/alert.js';

/** Raised, or already raised under this key (de-duplicated). */
export type RaiseResult = 'raised' | 'duplicate';

/**
 * Starts the alert's delivery workflow under an id made of its key: Temporal refuses a second start of the same id,
 * which is the de-duplication, and the workflow's activities retry delivery.
 */
export function alertRaiser(client: Client, taskQueue: string): (a: AlertInput) => Promise<RaiseResult> {
  return async (input) => {
    const a = Alert.parse(input);
    try {
      await client.workflow.start('alert', {
        taskQueue,
        workflowId: alertWorkflowId(a.key),
        args: [a],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
      return 'raised';
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
      throw e;
    }
  };
}
