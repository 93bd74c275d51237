// The guard's decision table: each row is one request against one consent state, run as its own test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GuardState } from '../../domain/consent-state.js';
import { decide, type GuardRequest, ReasonCode } from '../../domain/guard.js';
import type { CompiledPolicy } from '../../domain/policy.js';
import { compiled, NOW, request } from './guard-fixtures.js';

export interface Row {
  name: string;
  req?: Partial<GuardRequest>;
  state: GuardState;
  now?: string;
  policy?: CompiledPolicy;
  expect: 'allow' | ReasonCode[];
}

export const R = ReasonCode;
export const reengagement = { purpose: 'marketing.email.reengagement', legalBasis: 'soft_opt_in' } as const;

export function testRows(rows: readonly Row[]): void {
  for (const row of rows) {
    test(row.name, () => {
      const d = decide(request(row.req), row.state, row.policy ?? compiled, row.now ? new Date(row.now) : NOW);
      if (row.expect === 'allow') assert.equal(d.outcome, 'allow', d.outcome === 'deny' ? d.reasons.join(',') : '');
      else {
        assert.equal(d.outcome, 'deny');
        if (d.outcome === 'deny') assert.deepEqual(d.reasons, row.expect);
      }
    });
  }
}
