import { GENESIS_HASH } from '../../domain/decision-log.js';
import { chainPosition } from '../../domain/decision-log-canonical.js';
import type { KeyRing, VersionedKey } from '../keyring.js';
import type { ChainRecord } from './decision-log-read.js';
import { keyOfFirst, keySwitch, otherKeyOf } from './decision-log-key-switch.js';
import { entryHash, headMac, macEquals } from './decision-log-mac.js';

/**
 * How a chain was broken. `forged` means hashes were recomputed by someone without the log key; `unknown_key` that
 * the chain moved to a log key the verifier's keyring lacks; `unrotated` that it ends under a key the ring replaced.
 */
export const BreakKind = {
  modified: 'modified',
  deleted: 'deleted',
  reordered: 'reordered',
  truncated: 'truncated',
  forged: 'forged',
  unknown_key: 'unknown_key',
  unrotated: 'unrotated',
} as const;
export type BreakKind = (typeof BreakKind)[keyof typeof BreakKind];

/** The first break found in one chain: the sequence number where the chain stops being trustworthy. */
export interface LogBreak {
  readonly partition: number;
  readonly seq: number;
  readonly streamId: string | null;
  readonly kind: BreakKind;
  readonly detail: string;
}

/** A chain head as stored next to the stream; its MAC is checked under the key the chain ends with. */
export interface StoredHead {
  readonly seq: number;
  readonly hash: string;
  readonly mac: string | null;
}

// In an authentic (MAC-valid) canonical entry, seq and partition start at a fixed offset and prevHash ends it:
// ["v2","<26-char id>","<24-char at>",seq,partition,…,"<prevHash>"] (v1 alike). Reading them there avoids a JSON parse.
const SEQ_OFFSET = 62;
function quickPosition(c: string | Buffer): { seq: number; partition: number; prevHash: string } | null {
  const len = c.length;
  const head =
    typeof c === 'string' ? c.slice(SEQ_OFFSET, SEQ_OFFSET + 24) : c.toString('latin1', SEQ_OFFSET, SEQ_OFFSET + 24);
  const m = /^(\d+),(\d+),/.exec(head);
  if (!m) return null;
  const prevHash = typeof c === 'string' ? c.slice(len - 66, len - 2) : c.toString('latin1', len - 66, len - 2);
  return { seq: Number(m[1]), partition: Number(m[2]), prevHash };
}
const position = (c: string | Buffer, macOk: boolean) =>
  (macOk ? quickPosition(c) : null) ?? chainPosition(c.toString());

type Pending =
  { type: 'mac'; seq: number; hash: string; streamId: string } | { type: 'gap'; expected: number; streamId: string };

/**
 * Checks one chain record by record. A broken MAC or a gap is only classified once the next records are seen:
 * an untouched successor means one entry was modified, a successor that also fails means the chain was
 * re-hashed without the key, and a missing seq that turns up later means reordering rather than deletion.
 */
export class ChainChecker {
  expect = 1;
  prev = GENESIS_HASH;
  checked = 0;
  /** The log key in force at this point of the chain: the one it starts with, switched at each handover. */
  key: VersionedKey;
  private started = false;
  private pending: Pending | null = null;
  private found: LogBreak | null = null;

  constructor(
    readonly partition: number,
    private readonly ring: KeyRing,
    private readonly witness: { seq: number; hash: string } | null,
  ) {
    this.key = ring.current;
  }

  get broken(): LogBreak | null {
    return this.found;
  }

  /** True while every record fed so far checks out (no break found, none awaiting classification). */
  get settled(): boolean {
    return !this.found && !this.pending;
  }

  private fail(seq: number, streamId: string | null, kind: BreakKind, detail: string): false {
    this.found = { partition: this.partition, seq, streamId, kind, detail };
    return false;
  }

  /** Feeds one record; returns false once the break is located and classified, so reading can stop. */
  feed(rec: ChainRecord, skipUpTo = 0): boolean {
    if (this.found) return false;
    this.checked++;
    if (!this.started) this.key = keyOfFirst(this.ring, rec);
    this.started = true;
    const macOk = entryHash(this.key.key, rec.canonical) === rec.hash;
    const pos = position(rec.canonical, macOk);
    const p = this.pending;
    if (p?.type === 'gap') {
      if (macOk && pos?.seq === p.expected)
        return this.fail(p.expected, rec.streamId, 'reordered', `seq ${p.expected} appears after later entries`);
      return true;
    }
    if (p?.type === 'mac') {
      const linked = pos?.prevHash === p.hash;
      if (linked && !macOk)
        return this.fail(
          p.seq,
          p.streamId,
          'forged',
          `seq ${p.seq} and its successor were re-hashed without the log key`,
        );
      return this.fail(
        p.seq,
        p.streamId,
        'modified',
        `seq ${p.seq} was changed after it was written (its MAC does not match)`,
      );
    }
    if (!pos)
      return this.fail(
        this.expect,
        rec.streamId,
        'modified',
        `the entry at seq ${this.expect} is not a readable canonical entry`,
      );
    // Left over from a seal that crashed before trimming: already checked in its segment.
    if (pos.seq <= skipUpTo && macOk) return true;
    if (!macOk) {
      // Authentic under another ring key: the handover that would switch to it is gone, or its writer held the wrong key.
      const other = otherKeyOf(this.ring, rec, this.key);
      const at = other && quickPosition(rec.canonical);
      if (other && at && at.seq > this.expect)
        return this.fail(
          this.expect,
          rec.streamId,
          'deleted',
          `seq ${this.expect} is missing: the entry after it is under log key ${other.id} while the chain is under ${this.key.id}, so a rotation entry was removed`,
        );
      if (other && at?.seq === this.expect)
        return this.fail(
          this.expect,
          rec.streamId,
          'forged',
          `seq ${this.expect} is MACed under log key ${other.id}, but the chain is under ${this.key.id} there: a writer held a replaced key, or a rotation entry is missing`,
        );
    }
    if (!macOk) {
      if (pos.seq !== this.expect)
        return this.fail(
          this.expect,
          rec.streamId,
          'forged',
          `an entry with an invalid MAC claims seq ${pos.seq} where seq ${this.expect} belongs`,
        );
      this.pending = { type: 'mac', seq: this.expect, hash: rec.hash, streamId: rec.streamId };
      return true;
    }
    if (pos.partition !== this.partition)
      return this.fail(
        this.expect,
        rec.streamId,
        'reordered',
        `an entry of chain ${pos.partition} was moved into chain ${this.partition}`,
      );
    if (pos.seq > this.expect) {
      this.pending = { type: 'gap', expected: this.expect, streamId: rec.streamId };
      return true;
    }
    if (pos.seq < this.expect)
      return this.fail(
        this.expect,
        rec.streamId,
        'reordered',
        `seq ${pos.seq} appears again after seq ${this.expect - 1}`,
      );
    if (pos.prevHash !== this.prev)
      return this.fail(this.expect, rec.streamId, 'forged', `seq ${pos.seq} does not link to the entry before it`);
    if (this.witness && pos.seq === this.witness.seq && rec.hash !== this.witness.hash) {
      return this.fail(
        pos.seq,
        rec.streamId,
        'forged',
        `seq ${pos.seq} differs from the one a previous verify witnessed`,
      );
    }
    const sw = keySwitch(this.ring, this.key, rec, pos.seq);
    if (sw.type === 'break') return this.fail(pos.seq, rec.streamId, sw.kind, sw.detail);
    if (sw.type === 'switch') this.key = sw.key;
    this.expect++;
    this.prev = rec.hash;
    return true;
  }

  /** Notes a run of entries that is missing outright (a lost segment, or a trimmed range). */
  missing(seq: number, detail: string): false {
    if (!this.found && !this.pending) this.fail(seq, null, 'deleted', detail);
    return false;
  }

  /** Closes the chain against its stored head; returns the first break, or null when the chain is whole. */
  finish(stored: StoredHead | null): LogBreak | null {
    const head = stored && {
      ...stored,
      macOk:
        stored.mac !== null && macEquals(stored.mac, headMac(this.key.key, this.partition, stored.seq, stored.hash)),
    };
    const p = this.pending;
    if (!this.found && p?.type === 'gap') this.fail(p.expected, p.streamId, 'deleted', `seq ${p.expected} is missing`);
    if (!this.found && p?.type === 'mac') {
      const untouchedHead = head !== null && head.macOk && head.hash === p.hash;
      this.fail(
        p.seq,
        p.streamId,
        untouchedHead ? 'modified' : 'forged',
        untouchedHead
          ? `seq ${p.seq} was changed after it was written (its MAC does not match)`
          : `seq ${p.seq} and the head were re-hashed without the log key`,
      );
    }
    if (this.found) return this.found;
    const last = this.expect - 1;
    if (this.witness && last < this.witness.seq)
      this.fail(
        last + 1,
        null,
        'truncated',
        `the chain ends at seq ${last}, but a previous verify saw it reach seq ${this.witness.seq}`,
      );
    else if (!head) {
      if (last > 0) this.fail(last, null, 'forged', 'the chain head is missing');
    } else if (head.seq > last)
      this.fail(last + 1, null, 'truncated', `the chain ends at seq ${last}, but its head says seq ${head.seq}`);
    else if (!head.macOk) {
      const hiding = head.seq === last && head.hash === this.prev;
      this.fail(
        last + 1,
        null,
        hiding ? 'truncated' : 'forged',
        hiding
          ? `the head was rewritten without the log key to end at seq ${last}; later entries were likely removed`
          : 'the chain head was rewritten without the log key',
      );
    } else if (head.seq < last || head.hash !== this.prev)
      this.fail(head.seq + 1, null, 'forged', `entries after the head (seq ${head.seq}) were added without moving it`);
    // Every rotation hands every chain over, so a chain left under a replaced key lost its handover or never got it.
    else if (last > 0 && !this.key.key.equals(this.ring.current.key)) {
      this.fail(
        last,
        null,
        'unrotated',
        `the chain ends under log key ${this.key.id}, not the current ${this.ring.current.id}: its rotation entry is missing; if a rotation was interrupted, run \`consentflow keys rotate log\` to finish it`,
      );
    }
    return this.found;
  }
}
