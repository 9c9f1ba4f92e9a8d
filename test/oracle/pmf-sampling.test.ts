import { describe, expect, it } from 'vitest';
import { floorProposal, inverseCdfIndex } from '../../src/acquisition/proposal.js';
import { isWeights, lureWeights } from '../../src/reference/index.js';
import { readFixture } from '../metrics/fixture-helpers.js';
import { Mismatches, oracleFixtureFiles } from './fixture-io.js';

const SECTIONS = ['get_pmf_distr', 'inverse_cdf', 'estimator_weights'];

function isDistribution(p: Float64Array): boolean {
  let sum = 0;
  for (const v of p) {
    if (!(v >= 0 && Number.isFinite(v))) return false;
    sum += v;
  }
  return Math.abs(sum - 1) <= 1e-12;
}

/** min over the CDF boundaries (0 and each cumulative sum) of |u − c|, as the oracle's cdf_margin. */
function cdfMargin(pmf: number[], u: number): number {
  let c = 0;
  let margin = Math.abs(u);
  for (const p of pmf) {
    c += p;
    margin = Math.min(margin, Math.abs(c - u));
  }
  return margin;
}

describe('oracle: pmf_sampling fixtures', () => {
  for (const file of oracleFixtureFiles(/^pmf_sampling.*\.json$/)) {
    it(`${file.label}: replays every get_pmf_distr, inverse_cdf and estimator_weights case`, () => {
      const fixture = readFixture(file.dir, file.name) as Record<string, any[]>;
      expect(Object.keys(fixture).filter((k) => !SECTIONS.includes(k))).toEqual([]);
      const bad = new Mismatches();
      let replayed = 0;
      let total = 0;
      for (const [i, c] of (fixture.get_pmf_distr ?? []).entries()) {
        total++;
        const label = `get_pmf_distr[${i}] (${c.kind}, ${c.variant}, clip ${c.clip_percentage})`;
        const weights = Float64Array.from(c.weights);
        const pmf = floorProposal(weights, c.clip_percentage, c.variant);
        bad.values(label, pmf, c.pmf);
        bad.exact(`${label} n`, pmf.length, c.n);
        bad.exact(`${label} valid`, isDistribution(pmf), c.valid_distribution);
        bad.values(`${label} input untouched`, weights, c.weights, 0);
        replayed++;
      }
      for (const [i, c] of (fixture.inverse_cdf ?? []).entries()) {
        total++;
        bad.exact(`inverse_cdf[${i}] pos`, inverseCdfIndex(c.pmf, c.u), c.pos);
        bad.value(`inverse_cdf[${i}] margin`, cdfMargin(c.pmf, c.u), c.margin);
        replayed++;
      }
      for (const [i, c] of (fixture.estimator_weights ?? []).entries()) {
        total++;
        bad.values(`estimator_weights[${i}] lure`, lureWeights(c.q, c.N), c.lure_weights);
        bad.values(`estimator_weights[${i}] is`, isWeights(c.q, c.N), c.is_weights);
        replayed++;
      }
      expect(bad.list).toEqual([]);
      expect(replayed).toBe(total);
      expect(total).toBeGreaterThan(0);
    });
  }
});
