// Segment paging is pure over its ports and shared with the dry run, so it lives in domain/.
export * from '../domain/segment-page.js';
