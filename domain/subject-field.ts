import { z } from 'zod';

/** The value type of a subject profile field. */
export const FieldType = {
  string: 'string',
  email: 'email',
  phone: 'phone',
  integer: 'integer',
  date: 'date',
  datetime: 'datetime',
  country: 'country',
  locale: 'locale',
  timezone: 'timezone',
  enum: 'enum',
} as const;
export type FieldType = (typeof FieldType)[keyof typeof FieldType];

/** What kind of personal information a field is (PIPL 17 / GDPR 30 categories). */
export const FieldCategory = {
  contact: 'contact',
  identity: 'identity',
  demographic: 'demographic',
  preference: 'preference',
  behavioural: 'behavioural',
  sensitive: 'sensitive',
} as const;
export type FieldCategory = (typeof FieldCategory)[keyof typeof FieldCategory];

/** One field of the subject schema. */
export const SubjectFieldSpec = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'field name must be lower snake_case'),
  type: z.enum(FieldType),
  category: z.enum(FieldCategory),
  /** Sensitive personal information (PIPL 28, GDPR 9): only under a separate-consent purpose. */
  sensitive: z.boolean().optional(),
  /** Allowed values when `type` is `enum`. */
  values: z.array(z.string().min(1)).min(1).optional(),
  /** Inclusive range when `type` is `integer`. */
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  description: z.string().optional(),
  /** What subject pages call the field, per language (`en` and each notice language): never the internal name. */
  labels: z
    .record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag like zh-CN'), z.string().min(1))
    .default({}),
});
export type SubjectFieldSpec = z.infer<typeof SubjectFieldSpec>;

/** True when the field is sensitive, by flag or by category. */
export function isSensitiveField(spec: SubjectFieldSpec): boolean {
  return spec.sensitive === true || spec.category === FieldCategory.sensitive;
}

// Profile values end up in headers and single-line template slots: a CR/LF in a name is a header injection waiting
// to happen, and other control characters are never legitimate in these fields.
const singleLine = (s: z.ZodString) =>
  s.regex(/^[^\p{Cc}\u2028\u2029]*$/u, 'must be a single line without control characters (no line breaks or tabs)');

const valueSchemas: Record<Exclude<FieldType, 'enum' | 'integer'>, z.ZodType<string | number>> = {
  string: singleLine(z.string().min(1).max(500)),
  email: z.email(),
  phone: z.e164(),
  date: z.iso.date(),
  datetime: z.iso.datetime({ offset: true }),
  country: z.string().regex(/^[A-Z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code like DE'),
  locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'locale must be a tag like en or zh-CN'),
  timezone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'timezone must be an IANA name like Europe/Berlin'),
};

function integerSchema(spec: SubjectFieldSpec): z.ZodType<number> {
  // Whole numbers only, written plainly: "1e3", " 42" or "0x10" are not what a CSV column of years means.
  let n = z.coerce.number<string | number>().int('must be a whole number');
  if (spec.min !== undefined) n = n.min(spec.min, `must be at least ${spec.min}`);
  if (spec.max !== undefined) n = n.max(spec.max, `must be at most ${spec.max}`);
  return z.union([z.number(), z.string().regex(/^-?\d+$/, 'must be a whole number like 1984')]).pipe(n);
}

/** The zod schema one value of this field must satisfy (for imports and corrections). */
export function fieldValueSchema(spec: SubjectFieldSpec): z.ZodType<string | number> {
  if (spec.type === FieldType.enum) return z.enum((spec.values ?? []) as [string, ...string[]]);
  if (spec.type === FieldType.integer) return integerSchema(spec);
  return valueSchemas[spec.type];
}
