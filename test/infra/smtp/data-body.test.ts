import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { dataBody } from '../../../infra/smtp/data-body.js';
import { job, poolOn, startServer } from './servers.js';

const wire = (body: string) => dataBody(Buffer.from(body, 'latin1')).toString('latin1');

test('dataBody doubles every leading dot and ends the data with a lone dot line', () => {
  assert.equal(wire('.a\r\n..b\r\nc.d\r\n.\r\n'), '..a\r\n...b\r\nc.d\r\n..\r\n.\r\n');
  assert.equal(wire('no dots\r\n'), 'no dots\r\n.\r\n');
  assert.equal(wire('no final break'), 'no final break\r\n.\r\n');
  assert.equal(wire('ends in CR\r'), 'ends in CR\r\r\n.\r\n');
  assert.equal(wire(''), '.\r\n');
  assert.equal(wire('\r\n.'), '\r\n..\r\n.\r\n');
});

// Lines as compose writes them (CRLF-separated), over an alphabet heavy in dots, with stray CRs and 8-bit bytes.
const line = fc
  .array(fc.constantFrom('.', '.', '.', 'a', ' ', '\r', '\t', 'ü', '='), { maxLength: 12 })
  .map((cs) => cs.join(''));
const body = fc
  .tuple(fc.array(line, { maxLength: 30 }), fc.boolean())
  .map(([lines, finalBreak]) => lines.join('\r\n') + (finalBreak && lines.length > 0 ? '\r\n' : ''));

test('any body of CRLF lines, dots and stray CRs included, arrives at smtp-server byte for byte', async () => {
  const srv = await startServer();
  const pool = poolOn(srv.port);
  after(() => (pool.close(), srv.stop()));
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      const raw = Buffer.from(b, 'utf8');
      await pool.send(job('dots@example.org', raw));
      const got = srv.received.at(-1)!.raw;
      // SMTP data always ends with a line break: a body without one gets it, and nothing else changes.
      const ends = raw.length === 0 || raw.subarray(-2).toString() === '\r\n';
      assert.equal(got.toString('latin1'), Buffer.concat([raw, Buffer.from(ends ? '' : '\r\n')]).toString('latin1'));
    }),
    { numRuns: 150 },
  );
  assert.equal(srv.sockets.length, 1, 'every body went over the one connection');
});
