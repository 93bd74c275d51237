import { existsSync } from 'node:fs';
import { ServiceStartError, aptInstall, onPath } from './process.js';

/** Flags for headless Chromium on a machine with no network and no GPU, as root. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/**
 * Finds Debian's chromium for the browser tests (playwright-core cannot download a browser here), installing it
 * with apt when running as root; CHROMIUM_PATH overrides.
 */
export function obtainChromium(): string {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new ServiceStartError(`CHROMIUM_PATH=${explicit} does not exist; point it at a chromium binary or unset it.`);
    return explicit;
  }
  const found = onPath('chromium') ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  if (found) return found;
  if (aptInstall('chromium', 'chromium not found (needed by the browser tests)') && existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new ServiceStartError('chromium is not installed; the browser tests need it (Debian: apt-get install chromium), or set CHROMIUM_PATH.');
}
