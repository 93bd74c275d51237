// Hand-written on purpose: Date.parse and toISOString cost hundreds of ns each and sit on the guard's hot path
// (one parse and one format per decision); the formats here are the fixed ones our schemas accept.

const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** Epoch ms of an ISO 8601 UTC timestamp (`YYYY-MM-DDTHH:MM:SS[.fff]Z`); other shapes fall back to Date.parse. */
export function isoToMs(s: string): number {
  if (s.length < 20 || s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(s.length - 1) !== 90 /* Z */) return Date.parse(s);
  const year = d2(s, 0) * 100 + d2(s, 2);
  let ms = 0;
  if (s.length > 20) {
    if (s.charCodeAt(19) !== 46 /* . */) return Date.parse(s);
    // Milliseconds only; finer fractions are truncated like Date.parse does.
    for (let i = 20, scale = 100; i < s.length - 1 && scale >= 1; i++, scale /= 10) ms += (s.charCodeAt(i) - 48) * scale;
  }
  const t = Date.UTC(year, d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17), ms);
  return Number.isNaN(t) ? Date.parse(s) : t;
}

let lastMs = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, remembering the last result because batches of decisions share one `now`. */
export function msToIso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
