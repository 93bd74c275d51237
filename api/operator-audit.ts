import type { FastifyRequest } from 'fastify';
import { operatorEntry, Reason, type OperatorActionInput } from '../domain/operator-action.js';
import { type ApiDeps, nowOf } from './deps.js';
import { ApiError } from './errors.js';

/** The header an API caller may send to say why it acts; kept in the decision log. */
export const REASON_HEADER = 'x-consentflow-reason';

/** The reason header, validated like the CLI's --reason; a 400 names the header when it is unusable. */
export function reasonOf(req: FastifyRequest): string | undefined {
  const raw = req.headers[REASON_HEADER];
  if (raw === undefined) return undefined;
  const r = Reason.safeParse(Array.isArray(raw) ? raw.join(' ') : raw);
  if (!r.success)
    throw new ApiError(400, 'invalid_reason', `header ${REASON_HEADER} ${r.error.issues[0]?.message}`, [
      { path: `headers.${REASON_HEADER}`, message: r.error.issues[0]?.message ?? 'invalid' },
    ]);
  return r.data;
}

/**
 * Appends an operator entry for the authenticated caller: the API key name is the actor. Reads call it before
 * answering, so a read the log cannot record is refused (the append throws and the request fails).
 */
export async function recordApiOperator(
  deps: ApiDeps,
  req: FastifyRequest,
  a: Omit<OperatorActionInput, 'actor' | 'reason' | 'at'>,
): Promise<void> {
  const reason = reasonOf(req);
  await deps.services.log.append(
    operatorEntry({ ...a, actor: req.caller!.name, at: nowOf(deps), ...(reason ? { reason } : {}) }),
  );
}
