/** One send step of one campaign run, as the guarded path sees it (no personal data); `runId` is the campaign run's. */
export interface SendSpec {
  readonly campaignId: string;
  readonly campaignVersion: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly stepId: string;
  readonly purpose: string;
  readonly channel: string;
  readonly processor: string;
  readonly templateId: string;
  /** The deployed bundle the step's templates and segment come from; absent: the worker's own workspace. */
  readonly bundle?: string;
  readonly frequencyCap?: { readonly max: number; readonly perMs: number };
}

