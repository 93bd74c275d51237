import { ulid } from 'ulid';
import type { FastifyRequest } from 'fastify';
import type { ConsentEvent, ConsentEventType } from '../../domain/consent.js';
import { buildConsentEvent } from '../../domain/consent-record.js';
import type { SubjectRef } from '../../domain/ids.js';
import { ApiError } from '../errors.js';
import { evidenceOf } from '../evidence.js';
import { type ApiDeps, nowOf } from '../deps.js';

/** The state a consent event leaves a toggle in. */
export function toggleState(e: ConsentEvent | undefined): 'live' | 'pending' | 'none' {
  if (!e || (e.type !== 'granted' && e.type !== 'reconfirmed')) return 'none';
  return e.pending ? 'pending' : 'live';
}

/** Refuses subject pages for an erased subject: nothing is left to show or change. */
export async function requireNotErased(deps: ApiDeps, ref: SubjectRef): Promise<void> {
  if (await deps.services.subjects.isErased(ref))
    throw new ApiError(
      410,
      'subject_erased',
      'your data was erased at your request; we no longer hold preferences for you',
    );
}

/**
 * Records a subject's own answer from a signed link, under the notice in force now in the language the page was shown
 * in (else that of their latest recorded answer, default en), in the jurisdiction of their latest answer (default EU).
 */
export async function recordSubjectAnswer(
  deps: ApiDeps,
  req: FastifyRequest,
  ref: SubjectRef,
  a: {
    type: ConsentEventType;
    purpose: string;
    channel: string;
    method: 'preference_center' | 'one_click';
    collectionPoint: string;
    history: readonly ConsentEvent[];
    language?: string;
  },
): Promise<ConsentEvent> {
  const last = a.history.at(-1);
  const now = nowOf(deps);
  const r = buildConsentEvent(
    {
      type: a.type,
      subjectRef: ref,
      purpose: a.purpose,
      channel: a.channel,
      language: a.language ?? last?.language ?? 'en',
      jurisdiction: last?.jurisdiction ?? 'EU',
      collectionPoint: a.collectionPoint,
      method: a.method,
      source: 'subject',
      evidence: evidenceOf(req, deps.config.secrets.pseudonymKey),
    },
    deps.services.policy.bundle,
    now,
    ulid(now.getTime()),
  );
  if (!r.ok) throw new ApiError(400, r.code, r.message);
  return (await deps.services.consent.append(r.event)).event;
}
