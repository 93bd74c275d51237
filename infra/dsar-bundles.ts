import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SubjectRef } from '../domain/ids.js';
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
      const [json, summary] = await Promise.all([
        readFile(this.path(bundleId, 'json'), 'utf8'),
        readFile(this.path(bundleId, 'txt'), 'utf8'),
      ]);
      return { bundle: JSON.parse(json) as unknown, summary };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Deletes both files; true when there was anything to delete (a second delete is a no-op). */
  async delete(bundleId: string): Promise<boolean> {
    const files = [this.path(bundleId, 'json'), this.path(bundleId, 'txt')];
    const existed = await Promise.all(
      files.map((f) =>
        readFile(f).then(
          () => true,
          () => false,
        ),
      ),
    );
    await Promise.all(files.map((f) => rm(f, { force: true })));
    return existed.some(Boolean);
  }
}

/** Why an access bundle left the disk. */
export const BundleDeletion = { delivered: 'delivered', retention: 'retention', erasure: 'erasure' } as const;
export type BundleDeletion = (typeof BundleDeletion)[keyof typeof BundleDeletion];

/** The bundle files plus the subject's bundle index and audit trail, as deleting one bundle needs them. */
export interface BundlePorts {
  readonly bundles: Pick<DsarBundles, 'delete'>;
  readonly requests: {
    untrackBundle(ref: SubjectRef, bundleId: string): Promise<void>;
    audit(ref: SubjectRef, e: { action: string; requestId: string; at: string }): Promise<void>;
  };
}

/** Deletes one access bundle, drops it from the subject's index and audits why (the same for every path). */
export async function discardBundle(
  p: BundlePorts,
  ref: SubjectRef,
  bundleId: string,
  reason: BundleDeletion,
  now: Date,
): Promise<void> {
  const deleted = await p.bundles.delete(bundleId);
  await p.requests.untrackBundle(ref, bundleId);
  if (deleted)
    await p.requests.audit(ref, { action: `bundle_deleted:${reason}`, requestId: bundleId, at: now.toISOString() });
}
