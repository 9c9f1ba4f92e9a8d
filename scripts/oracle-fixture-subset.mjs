// Writes test/fixtures/oracle/, the subset of the oracle's golden fixtures committed with the
// repository, from the full set in the shared folder (`$ACTIVE_TESTING_SHARED`, default
// ../shared): `node scripts/oracle-fixture-subset.mjs`. test/fixtures/oracle/README.md says what
// is kept and why; test/oracle/committed-subset.test.ts checks the subset against the full set.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = resolve(root, process.env.ACTIVE_TESTING_SHARED ?? '../shared', 'reference/oracle/fixtures');
const target = resolve(root, 'test/fixtures/oracle');

/** Copied byte for byte: each is small and covers its whole topic. */
const VERBATIM = ['pools.json', 'metrics.json', 'ase.json', 'bootstrap.json', 'coverage.json', 'pmf_sampling.json', 'visualize.json'];

const read = (name) => JSON.parse(readFileSync(resolve(source, name), 'utf8'));

/**
 * The acquisition cases kept: on the 10-item two-class pool, every acquisition function at clip
 * 0.01 with and without a temperature, random labelling, and the cases that record an estimate
 * every few labels (step > 1); on the 10-item four-class pool, every acquisition that takes a
 * temperature at T = 2 and clip 0.1. Every case holds the estimates of lure, is and iid.
 */
function keptAcquisitionCase({ pool, config }) {
  if (pool === 'p10_k2') return config.step > 1 || config.acquisition === 'iid' || config.clip_percentage === 0.01;
  if (pool === 'p10_k4') return config.temperature === 2 && config.clip_percentage === 0.1;
  return false;
}

mkdirSync(target, { recursive: true });
for (const name of VERBATIM) writeFileSync(resolve(target, name), readFileSync(resolve(source, name)));
const cases = ['acquisition_p10_k2.json', 'acquisition_p10_k4.json'].flatMap((name) => read(name).cases.filter(keptAcquisitionCase));
writeFileSync(resolve(target, 'acquisition_subset.json'), JSON.stringify({ cases }));
// Its free-text note points at a document that is not part of this repository; the cases are kept whole.
const { cases: correctedCases } = read('corrected_acquisition.json');
writeFileSync(resolve(target, 'corrected_acquisition.json'), JSON.stringify({ cases: correctedCases }));
