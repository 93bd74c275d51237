import { z } from 'zod';

const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour is #rrggbb, like #0b4f9c');

/** Who the subject hears from: one definition for subject pages and every message (CAN-SPAM, Ad Law 43). */
export const Brand = z.strictObject({
  name: z.string().min(1),
  /** An absolute https URL; pages show it beside the name, with the name as its text alternative. */
  logoUrl: z.url({ protocol: /^https$/, error: 'logoUrl must be an absolute https URL' }).optional(),
  /** Page colours; `primary` carries white button text, so it must be dark enough to read (WCAG AA, 4.5:1). */
  colours: z.strictObject({ primary: Colour, text: Colour, background: Colour }),
  /** The postal address every marketing message and page footer shows. */
  postalAddress: z.string().min(1),
});
export type Brand = z.infer<typeof Brand>;
