import type { RetentionPolicy } from '../domain/retention.js';

/** How long each data class is kept; the retention schedule enforces it. */
export const retention: RetentionPolicy = {
  profileAfterLastActivityDays: 1095,
  profileAfterWithdrawalDays: 180,
  // Proof of consent outlives the sends it justified (limitation periods, the 2020 MIIT draft's 5 months).
  consentEventsDays: 1825,
  accessBundlesDays: 30,
  logSegmentsDays: 1095,
  reportsDays: 1095,
  sendLedgerDays: 90,
};
