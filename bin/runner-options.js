// How the launcher starts a long runner (`worker`, `dev`): node flags for its heap and the malloc setting, shared with
// the broadcast benchmark so it measures the worker as deployed.

/** The CLI commands that run for long and send at volume. */
const RUNNERS = new Set(['worker', 'dev']);

/**
 * A whole number of MB from the environment, or the default when unset. An unreadable value is refused with the
 * variable's name and what to set instead, rather than silently running with V8's defaults.
 */
function megabytes(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 0 || mb > 65536)
    throw new Error(`${name}=${raw}: give a whole number of MB from 0 to 65536 (0 keeps node's default)`);
  return mb;
}

/**
 * Node flags and extra environment for running `command` in the launcher's child.
 * - A bounded old generation (CONSENTFLOW_WORKER_HEAP_MB, default 256): V8 otherwise lets garbage pile up to hundreds
 *   of MB before collecting, which measured as the worker's peak RSS.
 * - The semi-space, when CONSENTFLOW_WORKER_YOUNG_MB is set (default: node's own): a broadcast keeps a few thousand
 *   recipients' records alive across young-generation collections, and a larger one (32) cut the scavenges and
 *   the worker's CPU per message, but took its peak RSS to 400 MB beside the mail thread.
 * - At most two glibc malloc arenas (MALLOC_ARENA_MAX, unless set): the Temporal core's threads otherwise each grow
 *   an arena of their own, resident but mostly idle.
 * Other commands get neither. Throws on an unreadable variable.
 */
export function runnerOptions(command, env = process.env) {
  if (!RUNNERS.has(command ?? '')) return { nodeFlags: [], env: {} };
  const heapMb = megabytes(env, 'CONSENTFLOW_WORKER_HEAP_MB', 256);
  const youngMb = megabytes(env, 'CONSENTFLOW_WORKER_YOUNG_MB', 0);
  return {
    nodeFlags: [
      ...(heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : []),
      ...(youngMb > 0 ? [`--max-semi-space-size=${youngMb}`] : []),
    ],
    env: env.MALLOC_ARENA_MAX === undefined ? { MALLOC_ARENA_MAX: '2' } : {},
  };
}
