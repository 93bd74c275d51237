import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { useApi } from '../helpers/api.js';
import { useEngine } from '../helpers/engine.js';

const engine = useEngine();
const api = useApi(engine);

test('GET /notices/:version?lang= serves the text that hashes to the recorded notice hash, in the asked language', async () => {
  const notices = engine.services.policy.bundle.notices;
  assert.deepEqual(
    new Set(notices.map((n) => n.language)),
    new Set(['en', 'zh-CN']),
    'every notice version is served in both languages',
  );
  for (const n of notices) {
    const res = await api.app.inject({ method: 'GET', url: `/notices/${n.version}?lang=${n.language}` });
    assert.equal(res.statusCode, 200, `${n.version} ${n.language}`);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, new RegExp(`<html lang="${n.language}">`));
    // The text between the notice tags, unescaped, is exactly the hashed file.
    const shown = /<div class="notice" lang="[^"]+">([\s\S]*?)<\/div>/
      .exec(res.body)![1]!
      .replace(/&amp;/g, '&')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
    assert.equal(createHash('sha256').update(shown).digest('hex'), n.contentHash);
  }
  const byBrowser = await api.app.inject({
    method: 'GET',
    url: '/notices/2',
    headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' },
  });
  assert.match(byBrowser.body, /营销隐私政策（第 2 版/);
});

test('an unknown notice is a 404 page (JSON for a client that prefers it); a malformed version or language is a 400', async () => {
  const page = await api.app.inject({ method: 'GET', url: '/notices/9?lang=zh-CN' });
  assert.equal(page.statusCode, 404);
  assert.match(page.body, /<h1>此政策不可用<\/h1>[\s\S]*<code>notice_not_found<\/code>/);
  const json = await api.app.inject({ method: 'GET', url: '/notices/9', headers: { accept: 'application/json' } });
  assert.equal(json.statusCode, 404);
  assert.equal((json.json() as { error: { code: string } }).error.code, 'notice_not_found');
  for (const url of ['/notices/abc', '/notices/0', '/notices/3?lang=fr', '/notices/3?lang=en&x=1']) {
    const res = await api.app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
    assert.equal(res.statusCode, 400, url);
  }
});
