import { Context } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import type { Mailer } from '../infra/smtp/transport.js';

/** Dependencies of the connectivity check: the same Redis and mailer every other activity uses. */
export interface ConnectivityDeps {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly mailer: Mailer;
}

/** Input of the end-to-end check: where to send one plain message. */
export interface ConnectivityInput {
  readonly to: string;
  readonly subject: string;
}

/** Activities that prove Temporal, Redis and SMTP work together; used by `dev`, the demo and the smoke test. */
export function createConnectivityActivities(deps: ConnectivityDeps) {
  return {
    async writeAndSendCheck(input: ConnectivityInput): Promise<{ messageId: string; redisKey: string }> {
      const { workflowExecution, activityId } = Context.current().info;
      const redisKey = `${deps.keyPrefix}check:${workflowExecution?.workflowId ?? activityId}`;
      await deps.redis.set(redisKey, JSON.stringify({ at: new Date().toISOString(), runId: workflowExecution?.runId }), 'EX', 86_400);
      const res = await deps.mailer.send({
        to: input.to,
        subject: input.subject,
        text: 'consentflow connectivity check: Temporal ran this activity, Redis stored its marker, and SMTP carried this message.',
      });
      return { messageId: res.messageId, redisKey };
    },
  };
}
