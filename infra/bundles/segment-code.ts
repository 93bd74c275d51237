import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { LoadResult } from '../../domain/load-result.js';
import { parseSegment, type Segment } from '../../domain/segment.js';
import { singleExport } from '../workspace/content-module.js';

// The engine's own segment helpers, next to this file in the repository (.ts) or in the built package (.js).
const helpers = ['../../domain/segment-time.ts', '../../domain/segment-time.js']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((f) => existsSync(f));

// `defineSegment` validates; the worker validates again with parseSegment when it loads the module, so inside the
// bundle it is the identity. That keeps zod out of every bundle (about 450 kB each otherwise).
const ENGINE_SEGMENT = /^consentflow$|[\\/]domain[\\/]segment(\.[jt]s)?$/;
const shim: Plugin = {
  name: 'consentflow-segment-shim',
  setup(b) {
    b.onResolve({ filter: ENGINE_SEGMENT }, (a) => ({ path: a.path, namespace: 'consentflow-segment' }));
    b.onLoad({ filter: /.*/, namespace: 'consentflow-segment' }, () => ({
      contents: `export const defineSegment = (s) => s;\nexport { daysSince } from ${JSON.stringify(helpers ?? 'consentflow-segment-time-missing')};\n`,
      loader: 'js',
      resolveDir: '/',
    }));
  },
};

/** Compiles a segment file and everything it imports into one self-contained ES module (text); never throws. */
export async function compileSegmentCode(file: string, root: string): Promise<LoadResult<string>> {
  try {
    const out = await build({
      entryPoints: [file],
      absWorkingDir: root,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      plugins: [shim],
      logLevel: 'silent',
      legalComments: 'none',
    });
    return { ok: true, value: out.outputFiles[0]!.text };
  } catch (e) {
    const first = (e as { errors?: { text: string }[] }).errors?.[0]?.text ?? (e as Error).message;
    return { ok: false, file, path: '', message: `cannot be compiled for deploy: ${first}` };
  }
}

/** Evaluates a bundled segment module and validates what it exports; a bad module is a failure value, not a throw. */
export async function loadSegmentCode(code: string, shownAs: string): Promise<LoadResult<Segment>> {
  let exports: Record<string, unknown>;
  try {
    // A data: URL module: self-contained by construction, so nothing is written to disk and nothing resolves.
    exports = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<
      string,
      unknown
    >;
  } catch (e) {
    return { ok: false, file: shownAs, path: '', message: `failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  const value = singleExport({ exports }, shownAs, 'segment', 'export const vip = defineSegment({ ... })');
  if (!value.ok) return value;
  const parsed = parseSegment(value.value);
  if (!parsed.ok)
    return {
      ok: false,
      file: shownAs,
      path: parsed.problems[0]?.path ?? '',
      message: parsed.problems[0]?.message ?? 'is invalid',
    };
  return { ok: true, value: parsed.value };
}
