import type { BranchCondition } from './campaign.js';

/** Evaluates a field condition against one value (string or number as stored). */
export function evaluateCondition(c: Extract<BranchCondition, { kind: 'field' }>, value: string | undefined): boolean {
  if (c.op === 'exists') return value !== undefined && value !== '';
  if (value === undefined) return false;
  const asNum = (v: unknown) => (typeof v === 'number' ? v : Number(v));
  switch (c.op) {
    case 'eq':
      return value === String(c.value);
    case 'neq':
      return value !== String(c.value);
    case 'in':
      return Array.isArray(c.value) && c.value.map(String).includes(value);
    case 'gte':
      return asNum(value) >= asNum(c.value);
    case 'lte':
      return asNum(value) <= asNum(c.value);
  }
}
