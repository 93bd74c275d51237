const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function localMinutes(nowMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(nowMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/**
 * Milliseconds from `nowMs` until local time in `timeZone` is inside [start, end) (a window ending before it starts
 * wraps midnight). An unknown or missing zone falls back to UTC rather than sending at an unchecked hour.
 */
export function msUntilWindow(
  nowMs: number,
  timeZone: string | undefined,
  window: { start: string; end: string },
): number {
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

export { evaluateCondition } from '../domain/branch-condition.js';
