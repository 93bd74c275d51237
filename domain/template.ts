import { z } from 'zod';
import { ChannelSchema, type Channel } from './channel.js';

/** Marketing needs consent and an opt-out in every message; essential (service) messages must not sell. */
export const TemplateKind = { marketing: 'marketing', essential: 'essential' } as const;
export type TemplateKind = (typeof TemplateKind)[keyof typeof TemplateKind];

/** Variables every render receives that are not profile fields, so they are never minimised away. */
export const reservedVariables = [
  'links.unsubscribe',
  'links.why',
  'links.preferences',
  'sender.name',
  'sender.postalAddress',
  'sender.email',
] as const;
export type ReservedVariable = (typeof reservedVariables)[number];

/** The top-level names under which reserved variables live; a profile field may not use them. */
export const reservedRoots: ReadonlySet<string> = new Set(['links', 'sender']);

const kebab = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** What a template file declares in its front matter. */
export const TemplateFrontMatter = z
  .strictObject({
    id: z.string().regex(kebab, 'template id must be kebab-case, like welcome-1'),
    channel: ChannelSchema,
    kind: z.enum(TemplateKind),
    /** Email subject line, itself a Handlebars template. */
    subject: z.string().min(1).optional(),
    /** Every profile field the template uses; the guard releases at most these. */
    fields: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'field names are lower snake_case')).default([]),
    /** A generic template for subjects who turned personalisation off (PIPL 24). */
    fallback: z.string().regex(kebab).optional(),
    /** Explicit declaration for essential templates; `true` on an essential template fails lint. */
    promotional: z.boolean().optional(),
    description: z.string().optional(),
    /** The language the text is written in (default en); `id.zh-CN.hbs` holds the same message in zh-CN. */
    lang: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'lang must be a tag like en or zh-CN')
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (t.channel === 'email' && t.subject === undefined)
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'an email template needs a subject' });
    if (t.channel === 'sms' && t.subject !== undefined)
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'an sms template has no subject; remove it' });
    for (const f of t.fields) {
      if (reservedRoots.has(f))
        ctx.addIssue({
          code: 'custom',
          path: ['fields'],
          message: `"${f}" is reserved (links.*, sender.*); do not declare it as a field`,
        });
    }
    if (t.fallback === t.id)
      ctx.addIssue({ code: 'custom', path: ['fallback'], message: 'a template cannot be its own fallback' });
  });
export type TemplateFrontMatter = z.infer<typeof TemplateFrontMatter>;

/** A loaded template's metadata: the front matter plus the SHA-256 of the raw file (which version was sent). */
export const TemplateMeta = z.intersection(
  TemplateFrontMatter,
  z.object({ contentHash: z.string().regex(/^[0-9a-f]{64}$/) }),
);
export type TemplateMeta = z.infer<typeof TemplateMeta>;

/** What static analysis found in a template: the facts the pure campaign lint checks. */
export type TemplateFacts = TemplateMeta & {
  /** Profile paths the template reads (reserved `links.*`/`sender.*` excluded). */
  readonly referencedFields: readonly string[];
  /** Per rendered part, the reserved variables it always prints (outside any conditional or loop). */
  readonly reservedByPart: Readonly<Record<string, readonly string[]>>;
  /** Promotional wording found in the template's text. */
  readonly promotionalTerms: readonly string[];
  /** The text part's source, for sms templates: the carrier rules (signature, opt-out) and segment counts read it. */
  readonly smsSource?: string;
  /** The same message in other languages (`id.{lang}.hbs`); lint checks each one like the template itself. */
  readonly variants?: readonly TemplateFacts[];
};

/** The language a template is written in when its front matter names none. */
export const DEFAULT_TEMPLATE_LANGUAGE = 'en';

/** The reserved variables a marketing message must print, per channel (CAN-SPAM, Ad Law 43, RFC 8058). */
export function requiredReserved(channel: Channel): readonly ReservedVariable[] {
  // SMS carries its sender in the 【】 signature and its refusal as a reply keyword (checked on the text, see sms-lint).
  return channel === 'sms' ? [] : ['links.unsubscribe', 'links.why', 'sender.name', 'sender.postalAddress'];
}

// Heuristic for essential messages: wording that sells. Kept short and documented so false positives are easy to fix.
const promotionalPatterns: readonly (readonly [string, RegExp])[] = [
  ['discount', /\bdiscount(s|ed)?\b/i],
  ['sale', /\bsales?\b/i],
  ['% off', /\d+\s*%\s*off\b/i],
  ['percent off', /\bpercent off\b/i],
  ['coupon', /\bcoupons?\b/i],
  ['voucher', /\bvouchers?\b/i],
  ['promo code', /\bpromo(tion(al)?)?\s+codes?\b/i],
  ['deal', /\bdeals?\b/i],
  ['limited time', /\blimited[- ]time\b/i],
  ['buy now', /\bbuy now\b/i],
  ['shop now', /\bshop now\b/i],
  ['free shipping', /\bfree (shipping|delivery)\b/i],
  ['clearance', /\bclearance\b/i],
  // Chinese: discount, sale/promotion, coupon, "% off" (折), limited time, snap up.
  ['折扣', /折扣|\d+\s*折/],
  ['促销', /促销|大促|特卖/],
  ['优惠券', /优惠券|代金券/],
  ['限时', /限时/],
  ['抢购', /抢购|立即购买/],
];

/** The promotional terms found in `text` (an essential template must have none). */
export function promotionalTerms(text: string): string[] {
  return promotionalPatterns.filter(([, re]) => re.test(text)).map(([term]) => term);
}
