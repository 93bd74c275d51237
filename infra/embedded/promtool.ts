import { obtainDebianTool } from './process.js';

/** Finds `promtool` (Debian's `prometheus` package) for the metrics tests; apt keeps it for later runs. PROMTOOL_PATH overrides. */
export function obtainPromtool(): string {
  return obtainDebianTool({
    override: 'PROMTOOL_PATH',
    bin: 'promtool',
    pkg: 'prometheus',
    neededBy: 'the metrics tests',
  });
}
