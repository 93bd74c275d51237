import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNoticeTexts } from '../../../infra/notices/notice-texts.js';
import { policy } from '../../../policy/index.js';

const shipped = join(import.meta.dirname, '..', '..', '..', 'policy');

test('every published notice has a text whose SHA-256 is the hash its consents record', () => {
  const texts = loadNoticeTexts(shipped, policy.notices);
  assert.deepEqual(texts.problems, []);
  for (const n of policy.notices)
    assert.ok(texts.get(n.version, n.language)?.text.length, `v${n.version} ${n.language}`);
  assert.match(texts.get(3, 'zh-CN')!.text, /^营销隐私政策（第 3 版/);
  assert.deepEqual(texts.languages(3), ['en', 'zh-CN']);
});

test('an altered or missing notice text is named and never served', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-notices-'));
  try {
    cpSync(join(shipped, 'notices'), join(dir, 'notices'), { recursive: true });
    writeFileSync(join(dir, 'notices', 'v2.zh-CN.txt'), '营销隐私政策（已被改动）\n');
    unlinkSync(join(dir, 'notices', 'v1.en.txt'));
    const texts = loadNoticeTexts(dir, policy.notices);
    assert.deepEqual(texts.problems.map((p) => [p.file, p.code]).sort(), [
      ['notices/v1.en.txt', 'notice_text_missing'],
      ['notices/v2.zh-CN.txt', 'notice_text_hash_mismatch'],
    ]);
    assert.match(
      texts.problems.find((p) => p.code === 'notice_text_hash_mismatch')!.message,
      /publish the change as a new notice version/,
    );
    assert.equal(texts.get(2, 'zh-CN'), undefined);
    assert.equal(texts.get(1, 'en'), undefined);
    assert.ok(texts.get(2, 'en'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
