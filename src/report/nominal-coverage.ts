/**
 * The coverage a normal approximation promises for estimate ± z·σ, 2Φ(z) − 1 = erf(z/√2), to the
 * 3 significant digits a report shows (0.95 for the paper's z = 1.96, 0.683 for z = 1): the
 * dashed rule and the table heading the bootstrap coverage is read against.
 *
 * @example
 * nominalCoverage(1.96); // 0.95
 * nominalCoverage(1); // 0.683
 */
export function nominalCoverage(z: number): number {
  return Number(erf(z / Math.SQRT2).toPrecision(3));
}

/** erf(x) for x ≥ 0, Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, far under the digits shown. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 1 - poly * Math.exp(-x * x);
}
