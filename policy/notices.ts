import type { Notice } from '../domain/policy.js';

/** Published privacy-notice versions; `material` changes make every older consent outdated (PIPL 14). */
export const notices: readonly Notice[] = [
  { version: 1, language: 'en', material: true, effectiveAt: '2024-01-15T00:00:00Z', contentHash: '0fb46acd8f02d98ddefd555747991b11184b7f26ecd0d4a52ea107a537327d7f' },
  { version: 1, language: 'zh-CN', material: true, effectiveAt: '2024-01-15T00:00:00Z', contentHash: '4c0a0b5097436cfb590cfd4233f006d8b0b3a9a52744c02c1d5359221d6d4de2' },
  // v2 only clarified wording and the retention table: subjects are re-notified, consents stay valid (PIPL 17).
  { version: 2, language: 'en', material: false, effectiveAt: '2024-09-01T00:00:00Z', contentHash: '7283ed5cf93323452c2e52fd4b63f22340601af10293e214d2e024e63b8a2d2f' },
  { version: 2, language: 'zh-CN', material: false, effectiveAt: '2024-09-01T00:00:00Z', contentHash: 'a3a5b93bae1a87928380945baf909253b833806990d107be2f717499400dfb24' },
  // v3 added profiling, the ads partner and health offers: new purposes and recipients, so re-consent.
  // It also names the EU mail relay as overseas recipient, with its contact and rights route (PIPL 39).
  { version: 3, language: 'en', material: true, effectiveAt: '2025-06-01T00:00:00Z', contentHash: '762ec7f4b3bda1be1489ee643de1252ad5d41261cebc1a08e2c74a5e310db10f', overseasRecipients: ['smtp-relay'] },
  { version: 3, language: 'zh-CN', material: true, effectiveAt: '2025-06-01T00:00:00Z', contentHash: 'd8dddccb6e5237ab641ffc2455fa00139ea9d23a7402b09d3b0628e15e8f6119', overseasRecipients: ['smtp-relay'] },
];
