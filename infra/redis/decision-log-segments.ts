import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js';
import { z } from 'zod';
import { LogSegmentError } from './decision-log-errors.js';
import type { KeyRing } from '../keyring.js';
import { logMac, macEquals } from './decision-log-mac.js';

/** Directory of sealed segments, their manifest and the verify witness. */
export const segmentsDir = (dataDir: string): string => join(dataDir, 'log-segments');

const Hash = z.string().regex(/^[0-9a-f]{64}$/);

/** One sealed segment: a closed, contiguous run of one chain, moved out of Redis. */
export const SegmentInfo = z.object({
  partition: z.number().int().min(0),
  file: z.string().regex(/^p\d+\/[\w.-]+\.jsonl\.gz$/),
  firstSeq: z.number().int().min(1),
  lastSeq: z.number().int().min(1),
  prevHash: Hash,
  lastHash: Hash,
  lastStreamId: z.string().regex(/^\d+-\d+$/),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  count: z.number().int().min(1),
  sha256: Hash,
  sealedAt: z.iso.datetime(),
  /**
   * Set when retention deleted the file: the entry stays, so its `lastHash` anchors verification of what follows.
   * Only a partition's oldest segments may carry it (a prefix), never one after a kept segment.
   */
  removedAt: z.iso.datetime().optional(),
});
export type SegmentInfo = z.infer<typeof SegmentInfo>;

const Manifest = z.object({ version: z.literal(1), segments: z.array(SegmentInfo), mac: Hash });
type Manifest = z.infer<typeof Manifest>;

/** Signed record of heads seen by a successful verify: kept outside Redis, it exposes a later truncation. */
const Witness = z.object({
  version: z.literal(1),
  at: z.iso.datetime(),
  heads: z.record(z.string().regex(/^\d+$/), z.object({ seq: z.number().int().min(0), hash: Hash })),
  mac: Hash,
});
export type WitnessHeads = Record<string, { seq: number; hash: string }>;

const manifestMac = (key: Buffer, segments: SegmentInfo[]): string =>
  logMac(key, `manifest|${JSON.stringify(segments)}`);
const witnessMac = (key: Buffer, at: string, heads: WitnessHeads): string =>
  logMac(key, `witness|${at}|${JSON.stringify(Object.entries(heads).sort(([a], [b]) => Number(a) - Number(b)))}`);

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LogSegmentError(`${file} is not readable JSON: ${(e as Error).message}`);
  }
}

/** Writes a file so that a crash leaves either the old or the new version, never half of one. */
export async function writeDurably(file: string, data: string | Buffer): Promise<void> {
  await ensurePrivateDir(dirname(file));
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(dirname(file), 'r');
  await dir.sync().finally(() => dir.close());
}

// Signed files are re-signed under the new key when the log key rotates; one still under an older key means the
// rotation stopped before that step, which is not tampering and has a fix.
function checkSigned(file: string, ring: KeyRing, mac: string, macUnder: (key: Buffer) => string): void {
  if (macEquals(mac, macUnder(ring.current.key))) return;
  const older = ring.previous.find((k) => macEquals(mac, macUnder(k.key)));
  if (older)
    throw new LogSegmentError(
      `${file} is still signed under the replaced log key ${older.id}; run \`consentflow keys rotate log\` to finish the rotation`,
    );
  throw new LogSegmentError(
    `${file} was altered: its MAC does not match (forged), or it was signed under a newer log key than this process holds (restart it with the current keyring)`,
  );
}

/** The sealed segments (empty when nothing was sealed); throws LogSegmentError if the manifest was altered. */
export async function readManifest(dataDir: string, ring: KeyRing): Promise<SegmentInfo[]> {
  const file = join(segmentsDir(dataDir), 'manifest.json');
  const raw = await readJson(file);
  if (raw === undefined) return [];
  const r = Manifest.safeParse(raw);
  if (!r.success) throw new LogSegmentError(`${file} does not match the manifest schema`);
  checkSigned(file, ring, r.data.mac, (k) => manifestMac(k, r.data.segments));
  return r.data.segments;
}

/** Replaces the manifest with `segments`, signed. */
export async function writeManifest(dataDir: string, key: Buffer, segments: SegmentInfo[]): Promise<void> {
  const m: Manifest = { version: 1, segments, mac: manifestMac(key, segments) };
  await writeDurably(join(segmentsDir(dataDir), 'manifest.json'), `${JSON.stringify(m, null, 1)}\n`);
}

/** The heads recorded by the last successful verify, or null when none was recorded. */
export async function readWitness(dataDir: string, ring: KeyRing): Promise<WitnessHeads | null> {
  const file = join(segmentsDir(dataDir), 'witness.json');
  const raw = await readJson(file);
  if (raw === undefined) return null;
  const r = Witness.safeParse(raw);
  if (!r.success) throw new LogSegmentError(`${file} was altered: it does not match the witness schema (forged)`);
  checkSigned(file, ring, r.data.mac, (k) => witnessMac(k, r.data.at, r.data.heads));
  return r.data.heads;
}

/**
 * Re-signs the manifest and the witness under the ring's current key, accepting either under any key of the ring
 * (a rotation's last step); anything signed by no key of the ring is refused as forged.
 */
export async function resignUnderCurrent(dataDir: string, ring: KeyRing): Promise<void> {
  const anyKey = (file: string, mac: string, macUnder: (key: Buffer) => string): void => {
    if (![ring.current, ...ring.previous].some((k) => macEquals(mac, macUnder(k.key))))
      throw new LogSegmentError(
        `${file} was altered: its MAC does not match any log key (forged); restore it before rotating`,
      );
  };
  const mFile = join(segmentsDir(dataDir), 'manifest.json');
  const m = await readJson(mFile);
  if (m !== undefined) {
    const r = Manifest.safeParse(m);
    if (!r.success) throw new LogSegmentError(`${mFile} does not match the manifest schema`);
    anyKey(mFile, r.data.mac, (k) => manifestMac(k, r.data.segments));
    await writeManifest(dataDir, ring.current.key, r.data.segments);
  }
  const wFile = join(segmentsDir(dataDir), 'witness.json');
  const w = await readJson(wFile);
  if (w !== undefined) {
    const r = Witness.safeParse(w);
    if (!r.success) throw new LogSegmentError(`${wFile} was altered: it does not match the witness schema (forged)`);
    anyKey(wFile, r.data.mac, (k) => witnessMac(k, r.data.at, r.data.heads));
    await writeWitness(dataDir, ring.current.key, r.data.heads, new Date(r.data.at));
  }
}

/** Records the verified heads, signed, so a later verify can tell if a chain lost its tail. */
export async function writeWitness(dataDir: string, key: Buffer, heads: WitnessHeads, at: Date): Promise<void> {
  const iso = at.toISOString();
  const w = { version: 1, at: iso, heads, mac: witnessMac(key, iso, heads) };
  await writeDurably(join(segmentsDir(dataDir), 'witness.json'), `${JSON.stringify(w)}\n`);
}

/** SHA-256 of a file, streamed. */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
