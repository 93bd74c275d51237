import type { Redis } from 'ioredis';
import type { SubjectRef } from '../domain/ids.js';
import { MatchField, ProcessorSubject } from '../domain/propagation.js';
import { processorAddressHash, processorMatchKey } from './crypto/pseudonym.js';

type ReadFields = (
  ref: SubjectRef,
  fields: readonly string[],
) => Promise<{ status: 'found'; fields: Readonly<Record<string, string>> } | { status: string }>;

/** What resolving a processor's view of a subject reads: the profile, and what the log says the processor received. */
export interface IdentityPorts {
  readonly readFields: ReadFields;
  readonly receivedFields: (ref: SubjectRef, processor: string) => Promise<string[]>;
  readonly deliveredProcessors: (ref: SubjectRef) => Promise<string[]>;
}

// Captured identities outlive the profile they came from only as long as staged corrections do.
const CAPTURE_TTL_S = 90 * 86_400;

/**
 * Names a subject to a processor by an address that processor received, hashed under the processor's own key.
 * Erasure and corrections change that address, so the identity is captured before they run and read back for the notice.
 */
export class ProcessorIdentities {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly pseudonymKey: Buffer,
    private readonly ports: IdentityPorts,
  ) {}

  private key(changeId: string): string {
    return `${this.prefix}dsar:{${changeId}}:processor-ids`;
  }

  /** The identity from the current profile; undefined when the processor received no address or the profile is gone. */
  async resolve(ref: SubjectRef, processor: string): Promise<ProcessorSubject | undefined> {
    const received = new Set(await this.ports.receivedFields(ref, processor));
    const field = Object.values(MatchField).find((f) => received.has(f));
    if (!field) return undefined;
    const read = await this.ports.readFields(ref, [field]);
    const address = 'fields' in read ? read.fields[field] : undefined;
    if (!address) return undefined;
    return {
      scheme: 'hmac-sha256-address/v1',
      field,
      hash: processorAddressHash(processorMatchKey(this.pseudonymKey, processor), address),
    };
  }

  /** Records every delivered processor's identity for a change, before the change rewrites or shreds the profile. */
  async capture(changeId: string, ref: SubjectRef): Promise<void> {
    const key = this.key(changeId);
    for (const processor of await this.ports.deliveredProcessors(ref)) {
      const id = await this.resolve(ref, processor);
      // HSETNX: a retried capture after the change ran must not replace the old address with the new one.
      if (id) await this.redis.hsetnx(key, processor, JSON.stringify(id));
    }
    await this.redis.expire(key, CAPTURE_TTL_S);
  }

  /** The identity captured for the change, else the current one (withdrawals leave the profile as it was). */
  async forChange(changeId: string, ref: SubjectRef, processor: string): Promise<ProcessorSubject | undefined> {
    const raw = await this.redis.hget(this.key(changeId), processor);
    return raw ? ProcessorSubject.parse(JSON.parse(raw)) : this.resolve(ref, processor);
  }
}
