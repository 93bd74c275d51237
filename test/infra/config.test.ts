import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testConfig } from '../helpers/config.js';

test('email links point at the API port actually served when no public URL is configured', () => {
  assert.equal(testConfig({ API_PORT: '9911' }).publicUrl, 'http://127.0.0.1:9911');
  assert.equal(testConfig({}).publicUrl, 'http://127.0.0.1:8787');
});

test('a configured public URL wins over the API port, without a trailing slash', () => {
  assert.equal(testConfig({ API_PORT: '9911', CONSENTFLOW_PUBLIC_URL: 'https://prefs.shop.example/' }).publicUrl, 'https://prefs.shop.example');
});
