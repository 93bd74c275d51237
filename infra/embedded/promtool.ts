import { existsSync } from 'node:fs';
import { ServiceStartError, aptInstall, onPath } from './process.js';

/**
 * Finds `promtool` (Debian's `prometheus` package), which the metrics tests use to validate the exposition format,
 * installing the package with apt when running as root; PROMTOOL_PATH overrides. apt keeps it for later runs.
 */
export function obtainPromtool(): string {
  const explicit = process.env.PROMTOOL_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new ServiceStartError(`PROMTOOL_PATH=${explicit} does not exist; point it at a promtool binary or unset it.`);
    return explicit;
  }
  const found = onPath('promtool') ?? (existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : undefined);
  if (found) return found;
  if (aptInstall('prometheus', 'promtool not found (needed by the metrics tests)') && existsSync('/usr/bin/promtool')) return '/usr/bin/promtool';
  throw new ServiceStartError('promtool is not installed; the metrics tests need it (Debian: apt-get install prometheus), or set PROMTOOL_PATH.');
}
