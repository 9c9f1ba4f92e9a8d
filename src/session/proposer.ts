import {
  AdaptiveSampler,
  mixtureSampler,
  planProposal,
  type CandidateRows,
  type ProposalInput,
  type ProposalPlan,
} from '../acquisition/adaptive/index.js';
import type { PoolSampler } from '../acquisition/sampler.js';
import { SumTreeSampler } from '../acquisition/sum-tree-sampler.js';
import type { LossFunctions } from '../metrics/index.js';
import { EPS, NUMERICS_FLAGS } from '../numerics.js';
import { randomStream, type RandomSource } from '../random.js';
import type { SessionHeader } from './header.js';
import type { SessionState } from './state.js';

/** The settings of a session that its proposal depends on. */
export type SessionProposalSettings = Pick<SessionHeader, 'acquisition' | 'defensive' | 'clip' | 'temperature'>;

/**
 * A session's proposal, planned by `planProposal` exactly as `simulate` plans it (default
 * numerics): the same values, mixture weights and adaptive candidates, so the first proposal is
 * simulate's first-step proposal. Its sampler is `sessionSampler`; its floor is the confidence
 * sequences' (`referenceBasis`). `candidateRows`: as `ProposalSettings.candidateRows`.
 *
 * @example
 * const plan = sessionProposal({ acquisition: 'surrogate-ce', defensive: null, clip: 0.1, temperature: null },
 *   { size: n, modelScores: f, surrogateScores: g }, BUILTIN_LOSSES['cross-entropy']);
 */
export function sessionProposal(
  settings: SessionProposalSettings,
  pool: ProposalInput,
  loss: LossFunctions,
  candidateRows?: CandidateRows,
): ProposalPlan {
  return planProposal(settings.acquisition, pool, {
    temperature: settings.temperature,
    eps: EPS,
    flags: NUMERICS_FLAGS.default,
    defensive: settings.defensive ?? null,
    clip: settings.clip,
    loss,
    candidateRows,
  });
}

/**
 * The sampler of a session's planned proposal (`sessionProposal`): fixed proposals draw from a sum
 * tree; the adaptive one defers its losses, which arrive as people label.
 *
 * @example
 * const sampler = sessionSampler(sessionProposal(settings, pool, loss), settings.clip);
 * sampler.probability(0); // item 0's proposal probability before any draw
 */
export function sessionSampler(plan: ProposalPlan, clip: number): PoolSampler {
  if (plan.mixture !== null) return mixtureSampler(plan.mixture, clip, { deferredLosses: true });
  return new SumTreeSampler(plan.values, clip, NUMERICS_FLAGS.default.proposal);
}

/**
 * Draws a session's proposals: its sampler and random stream (`randomStream(seed, [0])`, the
 * stream of simulate's run 0), and, under adaptive acquisition, the outcomes the adaptive sampler
 * has learned from.
 *
 * @example
 * const proposer = new SessionProposer(sessionSampler(sessionProposal(settings, pool, loss), settings.clip), 0);
 * const { index, probability } = proposer.draw(state, (i) => estimates.lossOf(i));
 */
export class SessionProposer {
  private readonly random: RandomSource;
  /** The adaptive sampler, which learns from each label in draw order. */
  private readonly adaptive: AdaptiveSampler | null;
  /** Proposals whose outcome (a loss, or a skip) the adaptive sampler has taken. */
  private learned = 0;

  constructor(
    private readonly sampler: PoolSampler,
    seed: number | string,
  ) {
    this.random = randomStream(seed, [0]);
    this.adaptive = sampler instanceof AdaptiveSampler ? sampler : null;
  }

  /** Items not proposed yet. */
  get remaining(): number {
    return this.sampler.remaining;
  }

  /**
   * Draws the next item and its proposal probability (the caller records it in `state`). The
   * adaptive sampler first learns the outcome of every proposal, in draw order, up to the first one
   * still pending, so the proposal for draw m uses exactly the labels of earlier draws recorded by
   * then: it is predictable, and LURE stays unbiased (docs/adaptive.md). A label undone after it
   * was taught stays taught (it only steered later proposals). Under the adaptive proposal it also
   * returns the mixture weights the draw used (null otherwise).
   */
  draw(state: SessionState, lossOf: (index: number) => number): { index: number; probability: number; weights: Float64Array | null } {
    const adaptive = this.adaptive;
    if (adaptive !== null) this.teach(adaptive, state, lossOf);
    // The adaptive mixture's weights this draw uses, fixed before it (the draw's own floor).
    const weights = adaptive === null ? null : adaptive.mixture;
    const index = this.sampler.draw(this.random);
    return { index, probability: this.sampler.lastProbability, weights };
  }

  private teach(adaptive: AdaptiveSampler, state: SessionState, lossOf: (index: number) => number): void {
    const proposals = state.proposals;
    while (this.learned < proposals.length) {
      const index = proposals[this.learned];
      const status = state.status(index);
      if (status === 'pending') break;
      if (status === 'labelled') adaptive.observe(lossOf(index));
      else adaptive.discard();
      this.learned++;
    }
  }
}
