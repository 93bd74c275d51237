import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataBody } from '../../../infra/smtp/data-body.js';

const wire = (body: string) => dataBody(Buffer.from(body, 'latin1')).toString('latin1');

test('dataBody doubles every leading dot and ends the data with a lone dot line', () => {
  assert.equal(wire('.a\r\n..b\r\nc.d\r\n.\r\n'), '..a\r\n...b\r\nc.d\r\n..\r\n.\r\n');
  assert.equal(wire('no dots\r\n'), 'no dots\r\n.\r\n');
  assert.equal(wire('no final break'), 'no final break\r\n.\r\n');
  assert.equal(wire('ends in CR\r'), 'ends in CR\r\r\n.\r\n');
  assert.equal(wire(''), '.\r\n');
  assert.equal(wire('\r\n.'), '\r\n..\r\n.\r\n');
});
