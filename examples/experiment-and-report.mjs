// Experiment-and-report workflow: run a grid of acquisition settings on one pool's score files,
// then write the report (figures and summary table) that answers "how much does active testing
// save here?".
//
// Run after `npm run build`: node examples/experiment-and-report.mjs
// The same on the command line:
//   active-testing experiment --config grid.json --out runs/grid
//   active-testing report runs/grid --out runs/grid/report
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveExperimentConfig, runExperiment, summaryMarkdown, syntheticPool, writeNpy, writeReport } from 'active-testing';

const dir = await mkdtemp(join(tmpdir(), 'active-testing-experiment-'));
try {
  // 1. Score files, as `active-testing evaluate` writes them: target and surrogate logits (N×K)
  //    and the true labels. Here they come from the built-in synthetic LLM-like pool.
  const pool = syntheticPool({ poolSize: 10_000, classCount: 2, seed: 0 });
  /** @type {(m: import('active-testing').Matrix) => import('active-testing').NpyInput} */
  const float32 = (m) => ({ data: Float32Array.from(m.data), rows: m.rows, cols: m.cols });
  await writeNpy(join(dir, 'target.npy'), float32(pool.modelScores));
  await writeNpy(join(dir, 'surrogate.npy'), float32(pool.surrogateScores));
  await writeNpy(join(dir, 'labels.npy'), pool.labels);

  // 2. The grid, as it would be written in grid.json (paths relative to its folder): random
  //    labelling, the paper's surrogate-ce proposal with and without a temperature, the
  //    surrogate's predictive entropy, the adaptive default, and the ASE estimator.
  const grid = resolveExperimentConfig(
    {
      modelScores: 'target.npy',
      labels: 'labels.npy',
      surrogates: { small: 'surrogate.npy' },
      runs: 500,
      size: 200,
      seed: 0,
      settings: [
        { acquisition: 'iid' },
        { acquisition: 'surrogate-ce' },
        { acquisition: 'surrogate-ce', temperature: 2, name: 'surrogate-ce T=2' },
        { acquisition: 'surrogate-pe' },
        { acquisition: 'adaptive' },
        { acquisition: 'surrogate-ce', estimator: 'ase', name: 'ASE' },
      ],
    },
    dir,
  );

  // 3. Run it. Each setting's outputs land in their own folder; running again would skip the
  //    finished ones (an interrupted grid resumes where it stopped).
  const out = join(dir, 'grid');
  const start = performance.now();
  const ran = await runExperiment(grid, { out });
  console.log(`ran ${ran.length} settings (${ran.map((s) => s.name).join(', ')}) in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  const again = await runExperiment(grid, { out });
  console.log(`second run: ${again.filter((s) => s.status === 'skipped').length} of ${again.length} settings skipped as finished`);

  // 4. The report: four figures (SVG, PNG and Vega-Lite each) and the summary table, here at
  //    25, 50, 100 and 200 labels (default 50, 100, 200, 400).
  const report = await writeReport([out], { out: join(dir, 'report'), thresholds: [25, 50, 100, 200] });
  console.log(
    `report: ${report.files.length} files, e.g. ${report.files
      .filter((f) => f.endsWith('.png'))
      .map((f) => f.slice(dir.length + 1))
      .join(', ')}\n`,
  );
  console.log(summaryMarkdown(report.table));
} finally {
  await rm(dir, { recursive: true, force: true });
}
