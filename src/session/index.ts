export {
  ActiveTestingSession,
  type CreateSessionOptions,
  type IntervalEstimate,
  type OpenSessionOptions,
  type Proposal,
  type ProposalRecord,
  type Resolution,
  type ResolveOptions,
  type SessionEstimate,
  type StoppingRule,
} from './session.js';
export type {
  SessionAcquisition,
  SessionCalibration,
  SessionHeader,
  SessionOptions,
  ScoresInput,
  StoredMatrix,
  TargetScorer,
} from './header.js';
export type { BuiltinLoss, CustomLoss, SessionLoss } from './loss.js';
export { SessionFileError, SessionLockedError, SessionStateError, SessionWriteError } from './errors.js';
export { exportSessionLabels, labelsTsv, type ExportedLabel, type SessionLabels } from './export-labels.js';
