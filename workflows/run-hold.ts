import { condition, patched } from '@temporalio/workflow';

/** Workflows that re-read their run's flag while held; histories recorded before it wait on the signal alone. */
const HOLD_RECHECK = 'hold-recheck-v1';

/**
 * How long a held workflow waits for a resume or cancel signal before it reads its run's flag again, plus up to a
 * sixth more so that a run's many held journeys do not all ask at once. A signal lost while Temporal was down
 * (the operator's `campaign resume` exits 75 and asks to be run again) then costs at most this delay and its spread.
 */
export const HOLD_RECHECK_MS = 60 * 60_000;

/**
 * Waits while `held()`. Each recheck interval that passes without the hold lifting, `reread` reads the run's flag
 * and applies it; the caller ignores a read that a pause or resume signal overtook (the signal is the newer word).
 * Without `reread` (a workflow whose run keeps no flag), or replaying a history from before rechecks, it waits for
 * the signal alone.
 */
export async function waitWhileHeld(held: () => boolean, scale: number, reread?: () => Promise<void>): Promise<void> {
  if (!held()) return;
  if (!reread || !patched(HOLD_RECHECK)) return void (await condition(() => !held()));
  while (held()) {
    const ms = Math.max(1, Math.round(HOLD_RECHECK_MS * (1 + Math.random() / 6) * scale));
    if (await condition(() => !held(), ms)) return;
    await reread();
  }
}
