import type { BranchCondition } from '../domain/campaign.js';

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function localMinutes(nowMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(nowMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/**
 * Milliseconds from `nowMs` until local time in `timeZone` is inside [start, end) (a window ending before it starts
 * wraps midnight). An unknown or missing zone falls back to UTC rather than sending at an unchecked hour.
 */
export function msUntilWindow(nowMs: number, timeZone: string | undefined, window: { start: string; end: string }): number {
  let zone = 'UTC';
  if (timeZone) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone });
      zone = timeZone;
    } catch {
      zone = 'UTC';
    }
  }
  const now = localMinutes(nowMs, zone);
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  const inside = start <= end ? now >= start && now < end : now >= start || now < end;
  if (inside) return 0;
  const minutes = (start - now + 1440) % 1440;
  const secondsIntoMinute = Math.floor(nowMs / 1000) % 60;
  return Math.max(0, minutes * 60_000 - secondsIntoMinute * 1000);
}

/** Evaluates a field condition against one value (string or number as stored). */
export function evaluateCondition(c: Extract<BranchCondition, { kind: 'field' }>, value: string | undefined): boolean {
  if (c.op === 'exists') return value !== undefined && value !== '';
  if (value === undefined) return false;
  const asNum = (v: unknown) => (typeof v === 'number' ? v : Number(v));
  switch (c.op) {
    case 'eq':
      return value === String(c.value);
    case 'neq':
      return value !== String(c.value);
    case 'in':
      return Array.isArray(c.value) && c.value.map(String).includes(value);
    case 'gte':
      return asNum(value) >= asNum(c.value);
    case 'lte':
      return asNum(value) <= asNum(c.value);
  }
}
