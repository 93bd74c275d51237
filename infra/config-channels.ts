import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { port } from './config-connections.js';

/** Why the file at `path` is no PEM certificate bundle, or undefined when it is one. */
function pemProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return `SMTP_CA_FILE ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); point it at the relay's CA certificate in PEM, or unset it to trust the system's CAs only`;
  }
  return text.includes('-----BEGIN CERTIFICATE-----')
    ? undefined
    : `SMTP_CA_FILE ${path} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line); export the relay's CA as PEM`;
}

/** The mail and SMS transports; unset, the embedded SMTP sink and SMPP server run. */
export const transportEnv = {
  SMTP_URL: z
    .url({
      protocol: /^smtps?$/,
      error: 'SMTP_URL must be smtp:// or smtps://, e.g. smtp://user:pass@relay.example.com:587',
    })
    .optional(),
  SMTP_PORT: port.optional(),
  /** PEM certificates to trust for the relay's TLS (STARTTLS or smtps) besides the system's: a private CA. */
  SMTP_CA_FILE: z
    .string()
    .min(1)
    .superRefine((path, ctx) => {
      const problem = pemProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** A real SMS gateway; unset, `dev` and the demo run the embedded SMPP server. */
  SMPP_URL: z
    .url({
      protocol: /^smpp$/,
      error: 'SMPP_URL must be smpp://system_id:password@host:port, e.g. smpp://shop:secret@smsc.example.com:2775',
    })
    .optional(),
  SMPP_PORT: port.optional(),
  /** The sender id or short code marketing SMS go out from (source_addr). */
  SMS_SOURCE_ADDR: z
    .string()
    .regex(
      /^[A-Za-z0-9+]{1,20}$/,
      'SMS_SOURCE_ADDR must be a short code, number or alphanumeric sender id of at most 20 characters',
    )
    .default('10690000'),
};

/** The envelope sender and abuse mailbox; the brand's name and postal address live in the policy. */
export const senderEnv = {
  // The brand (name, postal address) lives in the workspace policy, so pages and messages cannot disagree.
  CONSENTFLOW_SENDER_NAME: z
    .never({
      error:
        'CONSENTFLOW_SENDER_NAME is no longer read: the sender name is brand.name in the workspace policy (policy/brand.ts); unset it',
    })
    .optional(),
  CONSENTFLOW_SENDER_EMAIL: z
    .email({ error: 'CONSENTFLOW_SENDER_EMAIL must be an email address' })
    .default('news@shop.example'),
  /** Where feedback-loop (ARF) reports arrive; the dev SMTP sink takes mail to it as complaints. Default abuse@ the sender's domain. */
  CONSENTFLOW_ABUSE_ADDRESS: z
    .email({
      error:
        'CONSENTFLOW_ABUSE_ADDRESS must be an email address, e.g. abuse@shop.example (the address your feedback loops report to)',
    })
    .optional(),
  CONSENTFLOW_POSTAL_ADDRESS: z
    .never({
      error:
        'CONSENTFLOW_POSTAL_ADDRESS is no longer read: the postal address is brand.postalAddress in the workspace policy (policy/brand.ts); unset it',
    })
    .optional(),
};

/** The DKIM key outgoing mail is signed with (production refuses to start without it). */
export const dkimEnv = {
  DKIM_DOMAIN: z.string().optional(),
  DKIM_SELECTOR: z.string().optional(),
  DKIM_PRIVATE_KEY: z.string().optional(),
};
