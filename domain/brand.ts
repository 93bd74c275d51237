import { z } from 'zod';

const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour is #rrggbb, like #0b4f9c');

/** Who the subject hears from: one definition for subject pages and every message (CAN-SPAM, Ad Law 43). */
export const Brand = z.strictObject({
  name: z.string().min(1),
  /** An absolute https URL; pages show it beside the name, with the name as its text alternative. */
  logoUrl: z.url({ protocol: /^https$/, error: 'logoUrl must be an absolute https URL' }).optional(),
  /** Page colours; `primary` carries white button text, so it must be dark enough to read (WCAG AA, 4.5:1). */
  colours: z.strictObject({ primary: Colour, text: Colour, background: Colour }),
  /** The postal address every marketing message and page footer shows, in the default language (en). */
  postalAddress: z.string().min(1),
  /** The address as written in each other language pages and messages use (zh-CN: 北京市…); `policy check` requires one per notice language. */
  postalAddresses: z
    .record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag like zh-CN'), z.string().min(1))
    .default({}),
});

/** The brand's postal address in a language, else the default one. */
export const postalAddressIn = (
  brand: Pick<Brand, 'postalAddress' | 'postalAddresses'>,
  language: string | undefined,
): string => (language === undefined ? undefined : brand.postalAddresses[language]) ?? brand.postalAddress;
export type Brand = z.infer<typeof Brand>;
