import type { Notice } from '../domain/policy.js';

/**
 * Published privacy-notice versions; `material` changes make every older consent outdated (PIPL 14). Each text is
 * `notices/v{version}.{language}.txt`, and `contentHash` is its SHA-256: the API refuses to serve a text that differs.
 */
export const notices: readonly Notice[] = [
  {
    version: 1,
    language: 'en',
    material: true,
    effectiveAt: '2024-01-15T00:00:00Z',
    contentHash: 'eb07660e5e88ae999dc3a1a7de705d1f4d30d9558cbc95bfe197e4e685c07e72',
  },
  {
    version: 1,
    language: 'zh-CN',
    material: true,
    effectiveAt: '2024-01-15T00:00:00Z',
    contentHash: 'aa446c91decb895d7fa001d1dca18c23a62d511f8b1627dfc2bac3e0a9fcbdd2',
  },
  // v2 only clarified wording and the retention table: subjects are re-notified, consents stay valid (PIPL 17).
  {
    version: 2,
    language: 'en',
    material: false,
    effectiveAt: '2024-09-01T00:00:00Z',
    contentHash: 'aba047d503b7ddb81aa6341a7158100bdec733230ed43f1a22702f5dcff08985',
  },
  {
    version: 2,
    language: 'zh-CN',
    material: false,
    effectiveAt: '2024-09-01T00:00:00Z',
    contentHash: '051ff82a5d6ab4a30fae723d46eb7d395ca3f5224c9009cecf08e9b21dc4c32f',
  },
  // v3 added profiling, the ads partner and health offers: new purposes and recipients, so re-consent.
  // It also names the EU mail relay as overseas recipient, with its contact and rights route (PIPL 39).
  {
    version: 3,
    language: 'en',
    material: true,
    effectiveAt: '2025-06-01T00:00:00Z',
    contentHash: '1bf8385471c40d311d2f4dbba0df37ac7806463b4afbf8be84c447adbc77251a',
    overseasRecipients: ['smtp-relay'],
  },
  {
    version: 3,
    language: 'zh-CN',
    material: true,
    effectiveAt: '2025-06-01T00:00:00Z',
    contentHash: '620d65cb335adc9982b3fa06ab8be01ef42bb12b4d621d6e855b1a0e95aa4d5c',
    overseasRecipients: ['smtp-relay'],
  },
];
