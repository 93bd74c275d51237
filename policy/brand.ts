import type { Brand } from '../domain/policy.js';

/** The one sender identity: subject pages and every message show this name, logo, colours and address. */
export const brand: Brand = {
  name: 'Lumen & Loom',
  logoUrl: 'https://lumen-loom.example/logo.svg',
  colours: { primary: '#0b4f9c', text: '#1a1a1a', background: '#fafafa' },
  postalAddress: 'Lumen & Loom GmbH, Torstraße 1, 10119 Berlin, Germany',
  // As Chinese pages and messages write it: country first, the street in its own script.
  postalAddresses: { 'zh-CN': '德国 柏林 10119 Torstraße 1号 Lumen & Loom GmbH' },
};
