// One subject-request API per test file, a processor that keeps failing, and paths to a request's bundle, trail and match hash.
import { join } from 'node:path';
import type { SubjectRef } from '../../domain/ids.js';
import { processorAddressHash, processorMatchKey } from '../../infra/crypto/pseudonym.js';
import { useSubjectRequestApi } from '../helpers/subject-request-api.js';

export const { engine, api, notifier, start, stores, delivered } = useSubjectRequestApi();
notifier.answers.set('sms-gateway', { ok: false, reason: 'sms-gateway answered HTTP 503', retryable: true });
export type Err = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };
export type Started = { requestId: string; statusUrl: string };

export const bundleFile = (id: string) => join(engine.config.dataDir, 'dsar', `${id}.json`);
export const trail = (ref: string) => stores().requests.auditTrail(ref as SubjectRef);
export const matchHash = (processor: string, address: string) =>
  processorAddressHash(processorMatchKey(engine.config.secrets.pseudonymKey, processor), address);
