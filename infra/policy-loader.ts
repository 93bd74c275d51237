import { createHash } from 'node:crypto';
import { compilePolicy, type CompiledPolicy, type PolicyBundle } from '../domain/policy.js';

/** JSON with object keys sorted at every level, so equal bundles serialise identically whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The policy version: SHA-256 (hex) of the bundle's canonical JSON; any change to the policy changes it. */
export function policyVersion(bundle: PolicyBundle): string {
  return createHash('sha256').update(canonicalJson(bundle)).digest('hex');
}

/** The compiled policy the guard applies, with its version. */
export function loadPolicy(bundle: PolicyBundle): { readonly policy: CompiledPolicy; readonly version: string } {
  const version = policyVersion(bundle);
  return { policy: compilePolicy(bundle, version), version };
}
