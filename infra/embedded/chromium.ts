import { spawnSync } from 'node:child_process';
import { aptInstall, obtainDebianTool } from './process.js';

/** Flags for headless Chromium on a machine with no network and no GPU, as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Finds Debian's chromium for the browser tests (playwright-core cannot download a browser here), installing it
 * with apt when running as root; CHROMIUM_PATH overrides.
 */
export function obtainChromium(): string {
  return withChineseFont(
    obtainDebianTool({ override: 'CHROMIUM_PATH', bin: 'chromium', pkg: 'chromium', neededBy: 'the browser tests' }),
  );
}

/**
 * Chinese pages are checked through the DOM, but their screenshots need a CJK font or every character is a box; the
 * small WenQuanYi Micro Hei is installed when none is present (a warning otherwise: the tests still hold).
 */
function withChineseFont(chromium: string): string {
  const hasFont = () => spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).stdout?.trim().length > 0;
  if (!hasFont() && !aptInstall('fonts-wqy-microhei', 'no Chinese font (needed for readable zh-CN screenshots)')) {
    console.error(
      '[setup] no Chinese font found; zh-CN screenshots will show boxes (Debian: apt-get install fonts-wqy-microhei)',
    );
  }
  return chromium;
}
