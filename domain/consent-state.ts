import { z } from 'zod';
import type { Channel } from './channel.js';
import { ConsentEvent } from './consent.js';
import { Suppression } from './suppression.js';

/** The projection key of a purpose on a channel: `${purpose}|${channel}`. */
export function projectionKey(purpose: string, channel: Channel | string): string {
  return `${purpose}|${channel}`;
}

/**
 * Current consent of one subject: projection key → the latest event for that key. Kept this plain on purpose:
 * the store writes exactly this as a Redis hash (HSET key → event JSON) in the same MULTI as the stream append.
 */
export const ConsentProjection = z.record(z.string(), ConsentEvent);
export type ConsentProjection = Readonly<Record<string, ConsentEvent>>;

/** Folds one event into the projection without mutating it: the latest event per key wins. */
export function applyEvent(state: ConsentProjection, event: ConsentEvent): ConsentProjection {
  return { ...state, [projectionKey(event.purpose, event.channel)]: event };
}

/** Rebuilds the projection from the event stream, in stream order. */
export function rebuild(events: Iterable<ConsentEvent>): ConsentProjection {
  // One mutable accumulator instead of applyEvent's copy per event; same result.
  const out: Record<string, ConsentEvent> = {};
  for (const e of events) out[projectionKey(e.purpose, e.channel)] = e;
  return out;
}

/** The subject's personalisation choice (PIPL 24): `off` means no personalised marketing. */
export const Personalisation = { on: 'on', off: 'off' } as const;
export type Personalisation = (typeof Personalisation)[keyof typeof Personalisation];

/** Everything the guard needs about one subject, loaded by the store in one round trip. */
export const GuardState = z.object({
  consent: ConsentProjection,
  suppressions: z.array(Suppression),
  erased: z.boolean(),
  personalisation: z.enum(Personalisation),
  /** Set by the store when the load failed or returned something unparseable; the guard then denies. */
  loadError: z.string().optional(),
  /** The subject's birth year, when the profile records one: decides whether a guardian must consent. */
  birthYear: z.number().int().optional(),
  /** The subject's consent epoch when loaded: every write that can change the guard's answer moves it. */
  epoch: z.number().int().min(0).optional(),
});
export type GuardState = z.infer<typeof GuardState>;
