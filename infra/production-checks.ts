import { type AppConfig, ConfigError } from './config.js';
import { dkimKeyFrom } from './smtp/dkim-sign.js';

const LOCAL = ' (on a local machine, set CONSENTFLOW_ENV=dev instead)';

/** Whether the DKIM domain aligns with the sender's (DMARC relaxed alignment: one is the other or its subdomain). */
export function dkimAligned(dkimDomain: string, senderEmail: string): boolean {
  const d = dkimDomain.toLowerCase().replace(/\.$/, '');
  const s = senderEmail.slice(senderEmail.lastIndexOf('@') + 1).toLowerCase();
  return s === d || s.endsWith(`.${d}`) || d.endsWith(`.${s}`);
}

/**
 * What makes this configuration unfit to mail real people: subject links over plain http, marketing email without a
 * DKIM key, a DKIM domain that does not align with the sender's (Gmail and Yahoo bulk-sender rules, RFC 8058).
 * Each line names the variable and the fix.
 */
export function productionProblems(config: AppConfig): string[] {
  const { env } = config;
  const out: string[] = [];
  if (!config.publicUrl.startsWith('https://')) {
    out.push(
      `CONSENTFLOW_PUBLIC_URL is ${env.CONSENTFLOW_PUBLIC_URL ?? `unset (links would use ${config.publicUrl})`}: unsubscribe and preference links must be https; set CONSENTFLOW_PUBLIC_URL=https://<the host serving the API>${LOCAL}`,
    );
  }
  const missing = (['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'] as const).filter((v) => !env[v]);
  if (missing.length > 0) {
    out.push(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: marketing email must be DKIM-signed; set DKIM_DOMAIN (your sending domain), DKIM_SELECTOR and DKIM_PRIVATE_KEY (PEM, \\n for line breaks) and publish the public key at <selector>._domainkey.<domain>${LOCAL}`,
    );
  } else {
    try {
      dkimKeyFrom(env.DKIM_DOMAIN!, env.DKIM_SELECTOR!, env.DKIM_PRIVATE_KEY!);
    } catch (e) {
      out.push(e instanceof Error ? e.message : String(e));
    }
    if (!dkimAligned(env.DKIM_DOMAIN!, config.sender.email)) {
      out.push(
        `DKIM_DOMAIN ${env.DKIM_DOMAIN} does not align with CONSENTFLOW_SENDER_EMAIL ${config.sender.email}: DMARC needs the signing domain to be the From domain or its parent; set DKIM_DOMAIN=${config.sender.email.split('@')[1]} or send from an address under ${env.DKIM_DOMAIN}`,
      );
    }
  }
  return out;
}

/** Refuses to start a worker or API outside dev with a configuration unfit to mail real people. */
export function assertProductionReady(config: AppConfig, what: 'worker' | 'API'): void {
  if (config.env.CONSENTFLOW_ENV === 'dev') return;
  const problems = productionProblems(config);
  if (problems.length > 0)
    throw new ConfigError(`The ${what} will not start outside dev:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}
