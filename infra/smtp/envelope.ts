import { domainToASCII } from 'node:url';
import { SmtpReplyError } from './smtp-reply.js';

/** One recipient list and sender, as MAIL FROM / RCPT TO carry them. */
export interface SmtpEnvelope {
  readonly from: string;
  readonly to: readonly string[];
}

export const NON_ASCII = /[^ -~]/;
// What an address in MAIL FROM or RCPT TO can never hold: a line break would end the command and start another.
const UNSENDABLE = /[\r\n<>]|^\s*$/;

/** An envelope refused before anything was written (see wireEnvelope); the connection stays usable. */
export class SmtpEnvelopeError extends SmtpReplyError {
  constructor(code: number, response: string) {
    super('the envelope', code, response);
    this.name = 'SmtpEnvelopeError';
    this.message = response.slice(4);
  }
}

// An address whose domain alone is internationalised goes to a relay without SMTPUTF8 with that domain in its
// ASCII (punycode) form, as the message's own headers carry it; an internationalised local part has no such form.
function asciiAddress(address: string): string | undefined {
  if (!NON_ASCII.test(address)) return address;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  if (at <= 0 || NON_ASCII.test(local)) return undefined;
  const domain = domainToASCII(address.slice(at + 1));
  return domain ? `${local}@${domain}` : undefined;
}

/**
 * The envelope as it goes on the wire, or the refusal of one this connection must not send. An address that could
 * inject a command is a bad mailbox (553 5.1.3, a hard bounce). Without SMTPUTF8 (RFC 6531) an internationalised
 * domain is sent as punycode, and an internationalised local part cannot be carried by this relay, which is no
 * fault of the address (554 5.6.7).
 */
export function wireEnvelope(
  envelope: SmtpEnvelope,
  smtpUtf8: boolean,
): { envelope: SmtpEnvelope } | { refusal: SmtpEnvelopeError } {
  const all = [envelope.from, ...envelope.to];
  if (envelope.to.length === 0 || all.some((a, i) => (i > 0 || a !== '') && UNSENDABLE.test(a)))
    return {
      refusal: new SmtpEnvelopeError(
        553,
        '553 5.1.3 An address of this message holds a line break, an angle bracket or nothing; it was not sent',
      ),
    };
  if (smtpUtf8 || !all.some((a) => NON_ASCII.test(a))) return { envelope };
  const ascii = all.map(asciiAddress);
  if (ascii.some((a) => a === undefined))
    return {
      refusal: new SmtpEnvelopeError(
        554,
        '554 5.6.7 The address is internationalised and the SMTP server does not offer SMTPUTF8; it was not sent',
      ),
    };
  const [from, ...to] = ascii as string[];
  return { envelope: { from: from!, to } };
}
