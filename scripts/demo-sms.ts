// The demo's SMS step: Chinese text to subjects in China over SMPP, through the same guarded send path as email.
import type { Client } from '@temporalio/client';
import { ulid } from 'ulid';
import { journeyWorkflowId } from '../activities/campaign.js';
import { buildConsentEvent } from '../domain/consent-record.js';
import type { SubjectRef } from '../domain/ids.js';
import type { PolicyBundle } from '../domain/policy.js';
import type { Services } from '../infra/compose.js';
import { waitUntil } from '../infra/embedded/process.js';
import type { SmppSink } from '../infra/sms/smpp-server.js';
import { campaignWorkflowId } from '../infra/temporal/campaign-runs.js';
import type { DemoSmsPerson } from './demo-audience.js';

export const SMS_CAMPAIGN = 'cn-sms-promo';
const PURPOSE = 'marketing.sms.promotions';

async function grantSms(services: Services, policy: PolicyBundle, ref: SubjectRef): Promise<void> {
  const r = buildConsentEvent(
    {
      type: 'granted',
      subjectRef: ref,
      purpose: PURPOSE,
      channel: 'sms',
      noticeVersion: 3,
      language: 'zh-CN',
      collectionPoint: 'store_checkout',
      method: 'form',
      jurisdiction: 'CN',
      source: 'demo',
    },
    policy,
    new Date(),
    ulid(),
  );
  if (!r.ok) throw new Error(r.message);
  await services.consent.append(r.event);
}

/**
 * Records SMS consent, lets one person reply 退订 and marks one number undeliverable at the embedded SMSC, runs the
 * Chinese SMS campaign, waits for the delivery receipts and prints each person's outcome from the decision log.
 */
export async function runSmsStep(io: {
  services: Services;
  policy: PolicyBundle;
  client: Client;
  smsc: SmppSink | undefined;
  people: readonly DemoSmsPerson[];
  cli: (args: string[]) => string;
  timeScale: string;
}): Promise<void> {
  const { services, smsc } = io;
  const refOf = new Map(io.people.map((p) => [p, services.pseudonymize(p.id)] as const));
  for (const [p, ref] of refOf) if (p.consent !== 'no_sms_consent') await grantSms(services, io.policy, ref);
  console.log(
    `\nrecorded SMS consent (zh-CN notice, jurisdiction CN) for ${io.people.filter((p) => p.consent !== 'no_sms_consent').length} of the ${io.people.length} subjects in China`,
  );
  io.cli(['campaign', 'lint', SMS_CAMPAIGN]);
  if (!smsc)
    return void console.log(
      'SMPP_URL is set: the SMS step needs the embedded SMSC to simulate replies and receipts, so it is skipped',
    );
  // A reply through the SMSC, as the handset would send it: the withdrawal is recorded before the send step runs.
  const replier = io.people.find((p) => p.consent === 'replies_td')!;
  await smsc.mo(replier.fields.phone!, '退订');
  console.log(
    `\n${replier.id} replied "退订" from their phone: SMS consent withdrawn (method sms_reply), journeys and processors told`,
  );
  const unreachable = io.people.find((p) => p.consent === 'number_undeliverable')!;
  smsc.failNumbers((n) => n === unreachable.fields.phone, 'UNDELIV');

  io.cli(['campaign', 'start', SMS_CAMPAIGN, '--time-scale', io.timeScale]);
  await io.client.workflow.getHandle(campaignWorkflowId(SMS_CAMPAIGN)).result();
  await Promise.all(
    [...refOf.values()].map((ref) =>
      io.client.workflow
        .getHandle(journeyWorkflowId(SMS_CAMPAIGN, ref))
        .result()
        .catch(() => undefined),
    ),
  );

  const entriesOf = async (ref: SubjectRef) => {
    const out = [];
    for await (const e of services.log.query({ subjectRef: ref, campaignId: SMS_CAMPAIGN })) out.push(e);
    return out;
  };
  // Receipts arrive after the submit; every sent message is followed by one in the log.
  await waitUntil(
    'the delivery receipts',
    async () => {
      const all = await Promise.all([...refOf.values()].map(entriesOf));
      return all.every(
        (es) =>
          !es.some((e) => e.outcome === 'sent') ||
          es.some((e) => e.outcome === 'delivered' || e.outcome === 'undelivered'),
      );
    },
    30_000,
  );

  console.log('\nSMS step, per person (from the decision log and the SMSC outbox):');
  for (const [p, ref] of refOf) {
    const es = await entriesOf(ref);
    const denied = es.find((e) => e.kind === 'decision' && e.outcome === 'deny');
    const receipt = es.find((e) => e.outcome === 'delivered' || e.outcome === 'undelivered');
    const outcome = es.find((e) => e.kind === 'outcome');
    const suppressed = (await services.consent.suppressions(ref)).some((s) => s.channel === 'sms');
    const status = denied
      ? `blocked: ${denied.reasons.join('+')}`
      : outcome
        ? `${outcome.outcome.replace('_', ' ')} (${outcome.reasons.join(', ')})`
        : `sent, receipt ${receipt?.result ?? 'pending'}${suppressed ? ', number suppressed for SMS' : ''}`;
    console.log(`  ${p.id} ${ref}  ${status.padEnd(58)} ${p.note}`);
    for (const m of smsc.received.filter((x) => x.to === p.fields.phone))
      console.log(`      ${m.file}  (data_coding ${m.dataCoding}, ${m.parts} part(s)): ${m.text}`);
  }
}
