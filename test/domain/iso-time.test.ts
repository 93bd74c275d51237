import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoToMs, msToIso } from '../../domain/iso-time.js';

const arbDate = fc.date({
  min: new Date('1970-01-01T00:00:00Z'),
  max: new Date('2200-01-01T00:00:00Z'),
  noInvalidDate: true,
});

test('isoToMs agrees with Date.parse on millisecond, second and microsecond timestamps', () => {
  fc.assert(
    fc.property(arbDate, (d) => {
      const iso = d.toISOString();
      assert.equal(isoToMs(iso), d.getTime());
      const seconds = `${iso.slice(0, 19)}Z`;
      assert.equal(isoToMs(seconds), Date.parse(seconds));
      const micros = `${iso.slice(0, 23)}456Z`;
      assert.equal(isoToMs(micros), Date.parse(micros));
    }),
    { numRuns: 2000 },
  );
});

test('isoToMs falls back to Date.parse for offsets and other shapes', () => {
  for (const s of ['2026-01-01T10:00:00+02:00', '2026-01-01', 'not a date', '2026-01-01T00:00:00.5Z']) {
    assert.deepEqual(isoToMs(s), Date.parse(s), s);
  }
});

test('msToIso formats like toISOString within one day and across days', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 86_399_999 }), (offset) => {
      const ms = Date.UTC(2026, 5, 1) + offset;
      assert.equal(msToIso(ms), new Date(ms).toISOString());
    }),
    { numRuns: 3000 },
  );
});

test('msToIso formats like toISOString, also when the clock moves', () => {
  fc.assert(
    fc.property(arbDate, arbDate, (a, b) => {
      assert.equal(msToIso(a.getTime()), a.toISOString());
      assert.equal(msToIso(b.getTime()), b.toISOString());
      assert.equal(msToIso(a.getTime()), a.toISOString());
    }),
  );
});
