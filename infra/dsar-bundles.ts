import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from './private-files.js';

const BundleId = /^[A-Za-z0-9_-]{1,200}$/;

/** Access-request bundles on disk under `<dataDir>/dsar/`: JSON for machines, text for people. */
export class DsarBundles {
  constructor(private readonly dataDir: string) {}

  private path(bundleId: string, ext: 'json' | 'txt'): string {
    if (!BundleId.test(bundleId)) throw new Error(`bundle id ${bundleId.slice(0, 40)} is malformed`);
    return join(this.dataDir, 'dsar', `${bundleId}.${ext}`);
  }

  /** Writes both files (0600: they hold the subject's personal data) and returns the JSON file's path. */
  async write(bundleId: string, bundle: unknown, summary: string): Promise<string> {
    await ensurePrivateDir(join(this.dataDir, 'dsar'));
    const file = this.path(bundleId, 'json');
    await writePrivateFile(file, `${JSON.stringify(bundle, null, 2)}\n`);
    await writePrivateFile(this.path(bundleId, 'txt'), summary);
    return file;
  }

  /** Reads a bundle back, or undefined when it does not exist. */
  async read(bundleId: string): Promise<{ bundle: unknown; summary: string } | undefined> {
    try {
      const [json, summary] = await Promise.all([readFile(this.path(bundleId, 'json'), 'utf8'), readFile(this.path(bundleId, 'txt'), 'utf8')]);
      return { bundle: JSON.parse(json) as unknown, summary };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
