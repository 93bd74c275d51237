// The worker's workflow bundle entry: every workflow type the task queue serves.
export { journey } from './journey.js';
export { broadcast } from './broadcast.js';
export { propagation } from './propagation.js';
export { subjectRequest } from './subject-request.js';
export { review } from './review.js';
export { accessBundleRetention } from './access-bundle-retention.js';
export { retention } from './retention.js';
export { campaignMonitor } from './campaign-monitor.js';
export { alert } from './alert.js';
export { operationsWatch } from './operations-watch.js';
