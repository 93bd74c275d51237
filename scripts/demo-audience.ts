// The demo audience: profiles with mixed consent, written as a JSONL import file plus the consent each person gave.
import { writeFileSync } from 'node:fs';
import { msUntilWindow } from '../activities/conditions.js';

/** How a demo person answered, and what the demo does with them. */
export type DemoConsent =
  'granted' | 'outdated_notice' | 'withdrawn_before' | 'withdraws_mid_journey' | 'pending_double_opt_in';

export interface DemoPerson {
  readonly id: string;
  readonly fields: Record<string, string>;
  readonly consent: DemoConsent;
  readonly note: string;
}

// Quiet hours are real wall-clock windows, so the demo gives everyone a zone where it is daytime right now.
function daytimeZones(now = new Date()): string[] {
  const zones = [
    'Europe/Berlin',
    'Asia/Shanghai',
    'America/New_York',
    'Europe/London',
    'Asia/Tokyo',
    'America/Los_Angeles',
    'Australia/Sydney',
    'Asia/Kolkata',
    'America/Sao_Paulo',
    'Pacific/Auckland',
    'Africa/Nairobi',
    'Asia/Dubai',
  ];
  // The same check the journey's quiet-hours step makes, an hour short of the window's end to cover the run.
  const inDay = zones.filter(
    (timeZone) => msUntilWindow(now.getTime(), timeZone, { start: '09:00', end: '19:00' }) === 0,
  );
  return inDay.length ? inDay : ['UTC'];
}

/** Ten people covering the outcomes the guard must produce. */
export function demoAudience(): DemoPerson[] {
  const tz = daytimeZones();
  const zone = (i: number) => tz[i % tz.length]!;
  const p = (
    n: number,
    first: string,
    last: string,
    consent: DemoConsent,
    note: string,
    extra: Record<string, string> = {},
  ): DemoPerson => ({
    id: `demo-${String(n).padStart(3, '0')}`,
    fields: {
      email: `${first.toLowerCase()}.${last.toLowerCase()}@example.org`,
      first_name: first,
      last_name: last,
      locale: 'en',
      timezone: zone(n),
      ...extra,
    },
    consent,
    note,
  });
  return [
    p(1, 'Ada', 'Lovelace', 'granted', 'newsletter consent under the current notice'),
    p(2, 'Grace', 'Hopper', 'granted', 'newsletter consent under the current notice'),
    p(
      3,
      'Alan',
      'Turing',
      'granted',
      'also has health_interest and birth_year on file, which the newsletter purpose does not allow',
      { health_interest: 'cardiology', birth_year: '1912' },
    ),
    p(4, 'Katherine', 'Johnson', 'granted', 'newsletter consent under the current notice', { loyalty_tier: 'gold' }),
    p(5, 'Edsger', 'Dijkstra', 'outdated_notice', 'consented under notice v2, before the material change in v3'),
    p(6, 'Barbara', 'Liskov', 'outdated_notice', 'consented under notice v1'),
    p(7, 'Donald', 'Knuth', 'withdrawn_before', 'withdrew before the campaign started'),
    p(8, 'Margaret', 'Hamilton', 'withdraws_mid_journey', 'withdraws after the first email'),
    p(9, 'Tim', 'Berners-Lee', 'pending_double_opt_in', 'signed up but never confirmed the double opt-in'),
    p(10, 'Radia', 'Perlman', 'granted', 'newsletter consent under the current notice'),
  ];
}

/** How a subject in China answered the SMS offer, and what the SMS step of the demo shows with them. */
export type DemoSmsConsent = 'sms_granted' | 'replies_td' | 'number_undeliverable' | 'no_sms_consent';

export interface DemoSmsPerson {
  readonly id: string;
  readonly fields: Record<string, string>;
  readonly consent: DemoSmsConsent;
  readonly note: string;
}

/** Four subjects in China for the SMS step: Chinese names, mobile numbers, and the outcomes SMS adds. */
export function demoSmsAudience(): DemoSmsPerson[] {
  const p = (
    n: number,
    first: string,
    phone: string,
    store: string,
    consent: DemoSmsConsent,
    note: string,
  ): DemoSmsPerson => ({
    id: `demo-${String(n).padStart(3, '0')}`,
    fields: { phone, first_name: first, preferred_store: store, locale: 'zh-CN', timezone: 'Asia/Shanghai' },
    consent,
    note,
  });
  return [
    p(11, '李雷', '+8613800138011', '静安店', 'sms_granted', 'consented to SMS offers (zh-CN notice v3)'),
    p(12, '韩梅梅', '+8613900139012', '徐汇店', 'replies_td', 'consented, then replied 退订 to an earlier text'),
    p(
      13,
      '王芳',
      '+8615000150013',
      '浦东店',
      'number_undeliverable',
      'consented, but the carrier reports the number undeliverable',
    ),
    p(14, '张伟', '+8618600186014', '静安店', 'no_sms_consent', 'never consented to SMS'),
  ];
}

/** Writes the audience as a JSONL file `consentflow subject import` accepts. */
export function writeAudienceFile(file: string, people: ReadonlyArray<Pick<DemoPerson, 'id' | 'fields'>>): void {
  writeFileSync(file, people.map((x) => JSON.stringify({ id: x.id, ...x.fields })).join('\n') + '\n');
}
