export { floorProposal, floorProposalInPlace, inverseCdfIndex, type ProposalVariant } from './proposal.js';
export { fixedProposalFloor, candidateMixtureFloor, candidateMixtureDrawFloor } from './proposal-floor.js';
export type { PoolSampler } from './sampler.js';
export { ReferenceOrderSampler } from './reference-order-sampler.js';
export { SumTreeSampler } from './sum-tree-sampler.js';
export { SortedPool, type RejectionTables, type SortedPoolArrays } from './sorted-pool.js';
export { aliasTable } from './alias-table.js';
