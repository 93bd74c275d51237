import { readdir } from 'node:fs/promises';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chmod, mkdir, writeFile } from 'node:fs/promises';

/** Folders under the data dir hold personal data or secrets: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Files under the data dir hold personal data or secrets: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) as 0700 and tightens it if an older version left it wider. */
export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Async form of ensurePrivateDirSync. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

/** Writes a new file as 0600 (the mode applies at creation, so there is no moment it is readable by others). */
export function writePrivateFileSync(file: string, data: string | Buffer, flag: 'w' | 'wx' = 'w'): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE_MODE, flag });
}

/** Replaces `file` as 0600 in a 0700 folder: a crash leaves the old or the new version, never half of one. */
export function replacePrivateFileSync(file: string, data: string): void {
  ensurePrivateDirSync(dirname(file));
  const tmp = `${file}.tmp-${process.pid}`;
  writePrivateFileSync(tmp, data, 'wx');
  renameSync(tmp, file);
}

/** Async form of writePrivateFileSync. */
export async function writePrivateFile(file: string, data: string | Buffer): Promise<void> {
  await writeFile(file, data, { mode: PRIVATE_FILE_MODE });
}

/** The names in `dir`; a folder not created yet holds nothing. */
export async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
