import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { CliUsageError } from './context.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else; it still holds the folder.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes `<dataDir>/dev.lock` for this process, so two `dev` instances never share Redis data, the Temporal DB or
 * dev.json. A lock left by a process that is gone is taken over. Released on exit, however the process exits.
 */
export function lockDevDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'dev.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = (): void => {
        if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
      };
      const onExit = (): void => {
        try {
          release();
        } catch {
          // already gone
        }
      };
      process.once('exit', onExit);
      return { release: onExit };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new CliUsageError(
          `${dataDir} is in use by another \`consentflow dev\` (pid ${owner}); stop that one first, or set CONSENTFLOW_DATA_DIR to another folder`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new CliUsageError(`cannot take ${file}; remove it if no \`consentflow dev\` is running`);
}
