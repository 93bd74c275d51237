import type { PolicyBundle } from '../domain/policy.js';
import type { AppConfig } from './config.js';

/** A policy without a brand reached a composition root; `policy check` requires one. */
export class MissingBrandError extends Error {
  override readonly name = 'MissingBrandError';
}

/** The sender every message shows: name and postal address from the policy's brand, the address from config. */
export function senderOf(
  policy: PolicyBundle,
  config: Pick<AppConfig, 'sender'>,
): {
  readonly name: string;
  readonly email: string;
  readonly postalAddress: string;
  readonly postalAddresses: Readonly<Record<string, string>>;
} {
  if (!policy.brand)
    throw new MissingBrandError(
      'the policy has no brand; add brand: { name, colours, postalAddress } to it (policy check names what is missing)',
    );
  return {
    name: policy.brand.name,
    postalAddress: policy.brand.postalAddress,
    postalAddresses: policy.brand.postalAddresses,
    email: config.sender.email,
  };
}
