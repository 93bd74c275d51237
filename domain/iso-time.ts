// Hand-written on purpose: Date.parse and toISOString cost hundreds of ns each and sit on the guard's hot path
// (one parse and one format per decision); the formats here are the fixed ones our schemas accept.

const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** Epoch ms of an ISO 8601 UTC timestamp (`YYYY-MM-DDTHH:MM:SS[.fff]Z`); other shapes fall back to Date.parse. */
export function isoToMs(s: string): number {
  if (s.length < 20 || s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(s.length - 1) !== 90 /* Z */)
    return Date.parse(s);
  const year = d2(s, 0) * 100 + d2(s, 2);
  let ms = 0;
  if (s.length > 20) {
    if (s.charCodeAt(19) !== 46 /* . */) return Date.parse(s);
    // Milliseconds only; finer fractions are truncated like Date.parse does.
    for (let i = 20, scale = 100; i < s.length - 1 && scale >= 1; i++, scale /= 10)
      ms += (s.charCodeAt(i) - 48) * scale;
  }
  const t = Date.UTC(year, d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17), ms);
  return Number.isNaN(t) ? Date.parse(s) : t;
}

const DAY_MS = 86_400_000;
let dayStart = Number.NaN;
let dayPrefix = '';
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** `new Date(ms).toISOString()`, reusing the formatted date part while the clock stays on the same UTC day. */
export function msToIso(ms: number): string {
  const start = Math.floor(ms / DAY_MS) * DAY_MS;
  if (start !== dayStart) {
    dayPrefix = new Date(start).toISOString().slice(0, 11);
    dayStart = start;
  }
  let t = ms - start;
  const milli = t % 1000;
  t = (t - milli) / 1000;
  const sec = t % 60;
  t = (t - sec) / 60;
  const min = t % 60;
  return `${dayPrefix}${pad2((t - min) / 60)}:${pad2(min)}:${pad2(sec)}.${pad3(milli)}Z`;
}
