import { z } from 'zod';
import { ConsentMethod, Jurisdiction } from '../domain/consent.js';
import { SubjectId } from '../domain/ids.js';
import type { PolicyBundle } from '../domain/policy.js';

/**
 * The `POST /v1/consents` body, built from the policy so the OpenAPI document states what the server accepts:
 * one variant per purpose with the channels it allows, the languages with a published notice, and the notice
 * versions published in every one of them.
 */
export function consentCaptureSchema(bundle: PolicyBundle) {
  const languages = [...new Set(bundle.notices.map((n) => n.language))];
  const versions = [...new Set(bundle.notices.map((n) => n.version))].filter((v) =>
    languages.every((l) => bundle.notices.some((n) => n.language === l && n.version === v)),
  );
  const common = {
    subjectId: SubjectId,
    noticeVersion: z
      .literal(versions, { error: `does not exist in every language; published versions: ${versions.join(', ')}` })
      .optional()
      .describe('the notice version shown; default: the one in force'),
    language: z
      .enum(languages as [string, ...string[]], {
        error: `has no published privacy notice; languages: ${languages.join(', ')}`,
      })
      .describe('a language with a published privacy notice'),
    collectionPoint: z.string().min(1).max(200),
    method: z.enum(ConsentMethod).default('api'),
    jurisdiction: Jurisdiction,
    givenBy: z
      .enum(['subject', 'guardian'])
      .optional()
      .describe("guardian when a minor's guardian gave the answer (PIPL 31, GDPR 8); default subject"),
    occurredAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time with an offset, like 2025-03-01T09:30:00Z' })
      .optional()
      .describe(
        'when the subject answered, if not now; a time in the future, before the cited notice took effect, or when no notice was in force is refused with 409',
      ),
  };
  // Double opt-in applies to grants only, so a withdrawal variant cannot carry `doubleOptIn: true`.
  const actions = {
    grant: {
      action: z.literal('grant'),
      doubleOptIn: z.boolean().optional().describe('grant stays pending until confirmed through the returned link'),
    },
    withdraw: {
      action: z.literal('withdraw'),
      doubleOptIn: z.literal(false, { error: 'applies to grants only' }).optional(),
    },
  };
  // Discriminated (by purpose, then action) rather than a plain union, so a refusal names the field that is wrong.
  const byPurpose = bundle.purposes.map((p) => {
    const [grant, withdraw] = Object.values(actions).map((a) =>
      z.strictObject({
        ...common,
        ...a,
        purpose: z.literal(p.id),
        channel: z.enum(p.channels as [string, ...string[]], {
          error: `is not allowed for ${p.id}; it uses: ${p.channels.join(', ')}`,
        }),
      }),
    );
    return z.discriminatedUnion('action', [grant!, withdraw!]);
  });
  const known = bundle.purposes.map((p) => p.id).join(', ');
  return z.discriminatedUnion('purpose', byPurpose as [(typeof byPurpose)[0], ...typeof byPurpose], {
    error: () => `must be a purpose in the policy: ${known}`,
  });
}

/** A parsed consent capture. */
export type ConsentCaptureBody = z.infer<ReturnType<typeof consentCaptureSchema>>;
