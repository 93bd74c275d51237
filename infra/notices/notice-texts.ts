import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Notice } from '../../domain/policy.js';

/** A notice text whose bytes hash to the version's recorded `contentHash`: what the subject was shown. */
export interface NoticeText {
  readonly notice: Notice;
  readonly text: string;
}

/** Why a published notice has no servable text. */
export interface NoticeTextProblem {
  readonly file: string;
  readonly code: 'notice_text_missing' | 'notice_text_hash_mismatch';
  readonly message: string;
}

/** The verified notice texts, by version and language, plus every notice that has none. */
export interface NoticeTexts {
  get(version: number, language: string): NoticeText | undefined;
  /** The languages a version is published in, verified or not. */
  languages(version: number): readonly string[];
  readonly problems: readonly NoticeTextProblem[];
}

/** The file a notice text lives in, relative to the policy folder. */
export const noticeFile = (n: Pick<Notice, 'version' | 'language'>): string =>
  join('notices', `v${n.version}.${n.language}.txt`);

/**
 * Reads `notices/v{version}.{language}.txt` under the policy folder for every published notice and keeps only the
 * texts whose SHA-256 equals the recorded hash: a consent names that hash, so serving any other text would misstate
 * what the subject agreed to.
 */
export function loadNoticeTexts(policyDir: string, notices: readonly Notice[]): NoticeTexts {
  const texts = new Map<string, NoticeText>();
  const problems: NoticeTextProblem[] = [];
  for (const n of notices) {
    const file = noticeFile(n);
    const path = join(policyDir, file);
    if (!existsSync(path)) {
      problems.push({
        file,
        code: 'notice_text_missing',
        message: `notice v${n.version} (${n.language}) has no text; add ${file} with exactly the text shown to subjects`,
      });
      continue;
    }
    const bytes = readFileSync(path);
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== n.contentHash) {
      problems.push({
        file,
        code: 'notice_text_hash_mismatch',
        message: `SHA-256 is ${hash} but notice v${n.version} (${n.language}) records ${n.contentHash}; restore the published text, or publish the change as a new notice version`,
      });
      continue;
    }
    texts.set(`${n.version}|${n.language}`, { notice: n, text: bytes.toString('utf8') });
  }
  return {
    get: (version, language) => texts.get(`${version}|${language}`),
    languages: (version) => notices.filter((n) => n.version === version).map((n) => n.language),
    problems,
  };
}
