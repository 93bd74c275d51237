import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** SMPP type of number 1: international, so the digits already start with the country code. */
const TON_INTERNATIONAL = 1;

/**
 * A number in E.164 (+8613800138000), or undefined when it is not a valid number. Gateways send international
 * numbers without the plus (ton 1); a national number needs the country it was dialled in.
 */
export function toE164(raw: string, opts: { ton?: number; defaultCountry?: CountryCode } = {}): string | undefined {
  const digits = raw.trim();
  const withPlus = opts.ton === TON_INTERNATIONAL && /^\d+$/.test(digits) ? `+${digits}` : digits;
  const parsed = parsePhoneNumberFromString(withPlus, opts.defaultCountry);
  return parsed?.isValid() ? parsed.number : undefined;
}
