import type { AllowDecision } from '../domain/guard.js';
import type { SubjectRef } from '../domain/ids.js';
import type { CompiledPolicy } from '../domain/policy.js';
import type { GuardState } from '../domain/consent-state.js';
import type { LogEntry, LogEntryInput } from '../domain/decision-log.js';
import type { TemplateInfo, TemplatePort } from '../domain/template-port.js';
import type { IndexEntry, LedgerRecord, SendLedger, SealedProfile } from '../infra/redis/send-ledger.js';
import type { CapRead, CapWindow } from '../infra/redis/guard-state-load.js';
import type { Mailer } from '../infra/smtp/transport.js';
import type { LinkTokens } from '../infra/tokens.js';
import type { FieldsRead } from '../domain/segment-page.js';
import type { SendSpec } from '../domain/send-spec.js';
import type { SendOutcome } from './send-outcome.js';
import type { SmsChannel } from './send-sms.js';

export type { TemplateInfo, TemplatePort, RenderResult } from '../domain/template-port.js';

/** Appends entries to the decision log; an idempotency key per entry makes a retried append return the stored one. */
export type AppendLog = (
  entries: readonly LogEntryInput[],
  opts?: { readonly idempotencyKeys?: readonly (string | null)[] },
) => Promise<LogEntry[]>;

export type { FieldsRead } from '../domain/segment-page.js';

/** The ports the guarded send path runs on. */
export interface SendPipelineDeps {
  readonly loadGuardStates: (refs: readonly SubjectRef[]) => Promise<GuardState[]>;
  /** Guard states, each with one more key of the subject's slot (the send record) in the same script; throws if Redis is away. */
  /** Given `cap`, each subject's frequency-cap window on the step's channel is read by the same script. */
  readonly loadGuardStatesWith: (
    refs: readonly SubjectRef[],
    extraKey: (ref: SubjectRef) => string,
    cap?: CapRead,
  ) => Promise<Array<{ readonly state: GuardState; readonly extra: string; readonly capWindow?: CapWindow }>>;
  readonly readFields: (ref: SubjectRef, fields: readonly string[]) => Promise<FieldsRead>;
  /** Decrypts the released fields the reservation read in the same round trip (the subject store's keys). */
  readonly openFields: (ref: SubjectRef, fields: readonly string[], sealed: SealedProfile) => FieldsRead;
  readonly suppressHardBounce: (ref: SubjectRef) => Promise<unknown>;
  /**
   * Which send an email Message-ID belongs to, as the index entry the reservation writes before the message goes
   * out, so a complaint about it can be matched.
   */
  readonly messageIndex?: (
    messageId: string,
    sent: { readonly ref: SubjectRef; readonly decisionId: string; readonly spec: SendSpec },
  ) => IndexEntry;
  readonly appendLog: AppendLog;
  readonly ledger: SendLedger;
  readonly templates: TemplatePort;
  readonly mailer: Mailer;
  /** The SMS channel; without it SMS sends fail closed as `channel_transport_missing`. */
  readonly sms?: SmsChannel;
  readonly policy: () => CompiledPolicy;
  readonly tokens: LinkTokens;
  readonly publicUrl: string;
  /** Who messages come from; `postalAddresses` holds the address as written in other languages (the brand's). */
  readonly sender: {
    readonly name: string;
    readonly email: string;
    readonly postalAddress: string;
    readonly postalAddresses?: Readonly<Record<string, string>>;
  };
  readonly now?: () => Date;
  /** Observes each batch's outcomes (metrics); never personal data beyond the pseudonymous refs it already has. */
  readonly onOutcomes?: (spec: Pick<SendSpec, 'campaignId' | 'channel'>, outcomes: readonly SendOutcome[]) => void;
  /** Waits between commit attempts during a Redis outage; tests pass one that does not wait on the wall clock. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a send step reads about one subject before deciding: guard state (for members the guard decides) and send record. */
export interface SendState {
  readonly state?: GuardState;
  readonly record: LedgerRecord | undefined;
  /** The step's frequency-cap window, read with the guard state when the step is capped. */
  readonly capWindow?: CapWindow;
}

/** A send the guard allowed and the log holds, with the ledger record that owns it. */
export interface Delivery {
  readonly ref: SubjectRef;
  /** The allow of record: a resumed send carries the fields that decision released, not a recomputation. */
  readonly decision: AllowDecision;
  readonly decisionId: string;
  /** The channel's address field as the decision of record saw it (one of its released fields). */
  readonly addressField: string | undefined;
  readonly template: TemplateInfo;
  /** This run's decided (or, after a crash mid-send, reserved) record; none yet for a fresh decision. */
  readonly rec: LedgerRecord;
  /** Whether the record is new: the reservation writes it, instead of a separate write before. */
  readonly fresh: boolean;
  /** The subject's language (of the consent relied on), for the template's language variant. */
  readonly language?: string;
}
