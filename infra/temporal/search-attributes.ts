import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed search attribute keys; values are pseudonymous (subjectRef) or non-personal (campaign, purpose). */
export const CampaignIdKey = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);
export const PurposeKey = defineSearchAttributeKey('Purpose', SearchAttributeType.KEYWORD);
export const SubjectRefKey = defineSearchAttributeKey('SubjectRef', SearchAttributeType.KEYWORD);
