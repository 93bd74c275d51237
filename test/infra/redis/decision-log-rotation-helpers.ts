// Canonical-entry edits, a MAC, and a subject on chain 0, for the key-rotation tests.
import { createHmac } from 'node:crypto';
import { HASHED_COLUMNS, partitionOf } from '../../../domain/decision-log-canonical.js';
import { decision } from './fixtures/decision-log-fixture.js';

export const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');
export const setField = (canonical: string, index: number, value: unknown): string => {
  const arr = JSON.parse(canonical) as unknown[];
  arr[index] = value;
  return JSON.stringify(arr);
};
export const CAMPAIGN = 7; // positions in the canonical array, after the version tag
export const PREV = HASHED_COLUMNS.indexOf('prevHash') + 1;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// A subject whose entries go to chain 0 of a two-chain log.
export const chain0 = (n: number) => {
  for (let i = n; ; i++) if (partitionOf(decision(i).subjectRef, 2) === 0) return decision(i);
};
