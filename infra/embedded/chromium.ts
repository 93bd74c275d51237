import { obtainDebianTool } from './process.js';

/** Flags for headless Chromium on a machine with no network and no GPU, as root. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/**
 * Finds Debian's chromium for the browser tests (playwright-core cannot download a browser here), installing it
 * with apt when running as root; CHROMIUM_PATH overrides.
 */
export function obtainChromium(): string {
  return obtainDebianTool({ override: 'CHROMIUM_PATH', bin: 'chromium', pkg: 'chromium', neededBy: 'the browser tests' });
}
