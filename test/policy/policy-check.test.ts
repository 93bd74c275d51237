import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPolicy, formatPath, type PolicyProblem } from '../../domain/policy-check.js';
import { policyInput } from '../../policy/index.js';

// Tests break the policy on purpose, so they edit an untyped deep copy.
type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function broken(mutate: (p: Mutable) => void): readonly PolicyProblem[] {
  const copy = structuredClone(policyInput) as unknown as Mutable;
  mutate(copy);
  const r = checkPolicy(copy);
  assert.equal(r.ok, false, 'expected the broken policy to fail');
  return r.problems;
}

function has(problems: readonly PolicyProblem[], path: string, code: string): void {
  assert.ok(
    problems.some((p) => p.path === path && p.code === code),
    `no ${code} at ${path} in ${JSON.stringify(problems, null, 1)}`,
  );
}

const idx = (id: string) => policyInput.purposes.findIndex((p) => p.id === id);
const proc = (id: string) => policyInput.processors.findIndex((p) => p.id === id);

test('the shipped policy passes every check', () => {
  const r = checkPolicy(policyInput);
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
});

test('reports a purpose field missing from the subject schema with its path', () => {
  const i = idx('marketing.email.newsletter');
  const problems = broken((p) => p.purposes[i].allowedFields.push('iban'));
  has(problems, `purposes[${i}].allowedFields[3]`, 'field_unknown');
  assert.match(problems[0]?.message ?? '', /field "iban" is not in the subject schema/);
});

test('reports a sensitive field in a purpose without separate consent', () => {
  const i = idx('marketing.email.promotions');
  has(
    broken((p) => p.purposes[i].allowedFields.push('health_interest')),
    `purposes[${i}].allowedFields[7]`,
    'sensitive_field_without_separate_consent',
  );
});

test('reports a sensitive purpose without separate consent', () => {
  const i = idx('sensitive.health_offers');
  const problems = broken((p) => {
    p.purposes[i].separateConsent = false;
  });
  has(problems, `purposes[${i}].sensitive`, 'sensitive_purpose_without_separate_consent');
  has(problems, `purposes[${i}].allowedFields[2]`, 'sensitive_field_without_separate_consent');
});

test('reports a purpose without a PIA and a marketing purpose on the wrong legal basis', () => {
  const i = idx('marketing.sms.promotions');
  const problems = broken((p) => {
    delete p.purposes[i].piaId;
    p.purposes[i].legalBasis = 'legitimate_interest';
  });
  has(problems, `purposes[${i}].piaId`, 'purpose_without_pia');
  has(problems, `purposes[${i}].legalBasis`, 'marketing_basis_invalid');
});

test('reports an unknown channel on the channel path', () => {
  const i = idx('marketing.sms.promotions');
  has(
    broken((p) => {
      p.purposes[i].channels = ['sms', 'push'];
    }),
    `purposes[${i}].channels[1]`,
    'channel_unknown',
  );
});

test('reports a minimum notice version that no notice has', () => {
  const i = idx('marketing.email.newsletter');
  has(
    broken((p) => {
      p.purposes[i].minNoticeVersion = 7;
    }),
    `purposes[${i}].minNoticeVersion`,
    'notice_unknown',
  );
});

test('reports duplicate purposes, processors, fields and notices', () => {
  const problems = broken((p) => {
    p.purposes.push(structuredClone(p.purposes[0]));
    p.processors.push(structuredClone(p.processors[0]));
    p.subjectFields.push(structuredClone(p.subjectFields[0]));
    p.notices.push(structuredClone(p.notices[0]));
  });
  has(problems, `purposes[${policyInput.purposes.length}]`, 'duplicate_id');
  has(problems, `processors[${policyInput.processors.length}]`, 'duplicate_id');
  has(problems, `subjectFields[${policyInput.subjectFields.length}]`, 'duplicate_id');
  has(problems, `notices[${policyInput.notices.length}]`, 'duplicate_id');
});

test('reports translations of one notice version that disagree on materiality', () => {
  has(
    broken((p) => {
      p.notices[1].material = false;
    }),
    'notices[1]',
    'notice_inconsistent',
  );
});

test('reports a processor without an agreement, and one whose window ends before it starts', () => {
  const a = proc('sms-gateway');
  const b = proc('ads-partner');
  const problems = broken((p) => {
    delete p.processors[a].agreementId;
    p.processors[b].agreementValidUntil = '2020-01-01T00:00:00Z';
  });
  has(problems, `processors[${a}].agreementId`, 'processor_without_agreement');
  has(problems, `processors[${b}].agreementValidUntil`, 'agreement_window_invalid');
});

test('reports a processor for an unknown purpose, an unknown field, a field no purpose needs and a missing PIA', () => {
  const a = proc('smtp-relay');
  const problems = broken((p) => {
    p.processors[a].purposes.push('marketing.email.contest');
    p.processors[a].fields.push('iban', 'ad_id_hash');
    delete p.processors[a].piaId;
  });
  const purposes = policyInput.processors[a]?.purposes.length ?? 0;
  const fields = policyInput.processors[a]?.fields.length ?? 0;
  has(problems, `processors[${a}].purposes[${purposes}]`, 'processor_purpose_unknown');
  has(problems, `processors[${a}].fields[${fields}]`, 'field_unknown');
  has(problems, `processors[${a}].fields[${fields + 1}]`, 'processor_field_unneeded');
  has(problems, `processors[${a}].piaId`, 'processor_without_pia');
});

test('reports an address field that is not a subject field', () => {
  has(
    broken((p) => {
      p.channelAddressField = { email: 'email', sms: 'mobile' };
    }),
    'channelAddressField.sms',
    'address_field_unknown',
  );
});

test('reports schema problems and semantic problems of other items in one run', () => {
  const i = idx('marketing.email.newsletter');
  const j = idx('marketing.email.promotions');
  const problems = broken((p) => {
    p.purposes[i].maxConsentAgeDays = -1;
    p.purposes[j].allowedFields.push('iban');
  });
  has(problems, `purposes[${i}].maxConsentAgeDays`, 'schema_invalid');
  has(problems, `purposes[${j}].allowedFields[7]`, 'field_unknown');
});

test('reports a bundle that is not an object without throwing', () => {
  const r = checkPolicy('not a policy');
  assert.equal(r.ok, false);
  assert.equal(r.problems[0]?.code, 'schema_invalid');
  assert.equal(checkPolicy({ purposes: [] }).ok, false);
});

test('formats paths the way people write them', () => {
  assert.equal(formatPath(['purposes', 3, 'allowedFields', 2]), 'purposes[3].allowedFields[2]');
  assert.equal(formatPath(['channelAddressField', 'sms']), 'channelAddressField.sms');
});

test('reports a soft opt-in purpose offered in CN as never passing there', () => {
  const i = idx('marketing.email.reengagement');
  const problems = broken((p) => {
    p.purposes[i].jurisdictions = ['EU', 'CN'];
  });
  has(problems, `purposes[${i}].legalBasis`, 'legal_basis_not_permitted');
  assert.match(
    problems.find((x) => x.code === 'legal_basis_not_permitted')?.message ?? '',
    /can never be sent in CN: CN allows marketing only on consent, not soft_opt_in/,
  );
});

test('reports a purpose whose only processor abroad has no transfer mechanism for a jurisdiction', () => {
  const i = idx('marketing.email.newsletter');
  const problems = broken((p) => {
    p.processors[proc('smtp-relay')].transferMechanisms = [];
  });
  has(problems, `purposes[${i}].jurisdictions`, 'cross_border_transfer_not_permitted');
  assert.ok(problems.some((x) => /marketing\.email\.newsletter" can never be sent in CN/.test(x.message)));
});

test('reports a CN purpose carried abroad with no cross-border consent purpose for the recipient', () => {
  const t = idx('transfer.overseas.smtp_relay');
  has(
    broken((p) => {
      p.purposes[t].transferTo = undefined;
      p.purposes[t].jurisdictions = ['EU'];
    }),
    `purposes[${idx('marketing.email.newsletter')}].jurisdictions`,
    'cross_border_consent_unavailable',
  );
});

test('reports transfer purposes, overseas recipients and rule codes that do not add up', () => {
  const t = idx('transfer.overseas.smtp_relay');
  has(
    broken((p) => {
      p.purposes[t].transferTo = 'nobody';
    }),
    `purposes[${t}].transferTo`,
    'transfer_recipient_unknown',
  );
  has(
    broken((p) => {
      p.purposes[t].separateConsent = false;
    }),
    `purposes[${t}].separateConsent`,
    'transfer_purpose_not_separate',
  );
  has(
    broken((p) => {
      delete p.processors[proc('smtp-relay')].overseasContact;
    }),
    `processors[${proc('smtp-relay')}].overseasContact`,
    'overseas_contact_missing',
  );
  has(
    broken((p) => {
      p.purposes[t].jurisdictions = ['XX'];
    }),
    `purposes[${t}].jurisdictions[0]`,
    'jurisdiction_unknown',
  );
  has(
    broken((p) => {
      p.processors[proc('smtp-relay')].transferMechanisms[0].from = 'ZZ';
    }),
    `processors[${proc('smtp-relay')}].transferMechanisms[0].from`,
    'jurisdiction_unknown',
  );
});

test('requires jurisdiction rules and a retention table', () => {
  has(
    broken((p) => {
      p.jurisdictions = [];
    }),
    'jurisdictions',
    'schema_invalid',
  );
  has(
    broken((p) => {
      p.jurisdictions.push(structuredClone(p.jurisdictions[0]));
    }),
    'jurisdictions[4]',
    'duplicate_id',
  );
  has(
    broken((p) => {
      delete p.retention.logSegmentsDays;
    }),
    'retention.logSegmentsDays',
    'schema_invalid',
  );
  const early = broken((p) => {
    p.retention.consentEventsDays = p.retention.logSegmentsDays - 1;
  });
  has(early, 'retention.consentEventsDays', 'retention_inconsistent');
  assert.match(
    early.find((x) => x.code === 'retention_inconsistent')!.message,
    /would be removed before the decisions that rest on them \(logSegmentsDays 1095\); set consentEventsDays to at least/,
  );
  // Equal periods keep every decision's evidence for as long as the decision.
  const equal = structuredClone(policyInput) as unknown as Mutable;
  equal.retention.consentEventsDays = equal.retention.logSegmentsDays;
  assert.deepEqual(checkPolicy(equal).problems, []);
});

test('reports a releasable field without a label in en or a notice language, and a brand without the zh-CN address', () => {
  const f = policyInput.subjectFields.findIndex((x) => x.name === 'first_name');
  const problems = broken((p) => {
    p.subjectFields[f].labels = { en: 'First name' };
    p.brand.postalAddresses = {};
  });
  has(problems, `subjectFields[${f}].labels.zh-CN`, 'field_label_missing');
  has(problems, 'brand.postalAddresses.zh-CN', 'brand_address_missing');
  assert.match(
    problems.find((x) => x.code === 'field_label_missing')!.message,
    /field "first_name" can be released to a purpose but has no label in zh-CN/,
  );
  const noEnglish = broken((p) => void delete p.subjectFields[f].labels.en);
  has(noEnglish, `subjectFields[${f}].labels.en`, 'field_label_missing');
  // A field no purpose releases is never shown, so it needs no label.
  const unused = policyInput.subjectFields.findIndex((x) => x.name === 'customer_since');
  const copy = structuredClone(policyInput) as unknown as Mutable;
  copy.subjectFields[unused].labels = {};
  assert.deepEqual(checkPolicy(copy).problems, []);
});
