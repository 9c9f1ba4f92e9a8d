import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFormatError, InputError, OutputExistsError, ReceivedKind } from '../../src/errors.js';
import { readNpy } from '../../src/io/npy.js';
import { loadReportSettings } from '../../src/report/load.js';
import { writeReport } from '../../src/report/report.js';
import { formatNumber, type SummaryTable } from '../../src/report/table.js';
import type { SimulationSummary } from '../../src/simulate/outputs.js';
import { writeFakeSimulation, writeSimulatedFolder } from './simulation-folder.js';

const root = mkdtempSync(join(tmpdir(), 'at-report-'));
const dirs = {
  random: join(root, 'iid'),
  active: join(root, 'surrogate-ce'),
  ase: join(root, 'ase'),
};
const out = join(root, 'report');
let table: SummaryTable;
let files: string[];

beforeAll(async () => {
  writeFakeSimulation(dirs.random, { acquisition: 'iid', estimator: 'iid', noise: 0.6, seed: 1 });
  writeFakeSimulation(dirs.active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.35, seed: 2 });
  writeFakeSimulation(dirs.ase, { acquisition: 'surrogate-ce', estimator: 'ase', noise: 0.2, seed: 3, bootstrap: false });
  ({ table, files } = await writeReport([dirs.ase, dirs.active, dirs.random], { out }));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The table's numbers recomputed directly from estimates.npy and bootstrap_variance.npy. */
async function recompute(dir: string, row: number, trueRisk: number) {
  const estimates = await readNpy(join(dir, 'estimates.npy'));
  const runs = estimates.shape[1] as number;
  const squared = Array.from({ length: runs }, (_, c) => ((estimates.data[row * runs + c] as number) - trueRisk) ** 2);
  const sorted = [...squared].sort((a, b) => a - b);
  const median = runs % 2 === 1 ? sorted[(runs - 1) / 2] : ((sorted[runs / 2 - 1] as number) + (sorted[runs / 2] as number)) / 2;
  let coverage: number | null = null;
  try {
    const variance = await readNpy(join(dir, 'bootstrap_variance.npy'));
    let inside = 0;
    for (let c = 0; c < runs; c++) {
      const e = estimates.data[row * runs + c] as number;
      const sd = Math.sqrt(variance.data[row * runs + c] as number);
      if (e - 1.96 * sd <= trueRisk && trueRisk <= e + 1.96 * sd) inside++;
    }
    coverage = inside / runs;
  } catch {
    coverage = null;
  }
  return { mse: squared.reduce((a, b) => a + b, 0) / runs, median: median as number, coverage };
}

describe('writeReport', () => {
  it('writes every figure as Vega-Lite, SVG and PNG, plus the summary table', () => {
    const names = files.map((f) => f.slice(out.length + 1)).sort();
    const figures = ['bootstrap', 'relative-cost', 'relative-error', 'squared-error'];
    expect(names).toEqual([...figures.flatMap((f) => [`${f}.png`, `${f}.svg`, `${f}.vl.json`]), 'summary.json', 'summary.md'].sort());
    for (const figure of figures) {
      const png = readFileSync(join(out, `${figure}.png`));
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.readUInt32BE(16)).toBeGreaterThan(600); // width in pixels: a real figure, rendered at 2×
      expect(readFileSync(join(out, `${figure}.svg`), 'utf8')).toMatch(
        /^<svg[^>]*>[\s\S]*(Number of acquired labels|Random labelling budget)/,
      );
      const spec = JSON.parse(readFileSync(join(out, `${figure}.vl.json`), 'utf8'));
      expect(spec.$schema).toMatch(/vega-lite\/v6/);
    }
    // The legend names every setting (the relative figures leave out the baseline, drawn as the rule at 1).
    const svg = readFileSync(join(out, 'squared-error.svg'), 'utf8');
    for (const name of ['Random (i.i.d.)', 'surrogate-ce · LURE · clip 0.1', 'surrogate-ce · ASE · clip 0.1']) expect(svg).toContain(name);
    expect(readFileSync(join(out, 'relative-error.svg'), 'utf8')).not.toContain('Random (i.i.d.)</text>');
  });

  it('draws no relative figures for random labelling alone', async () => {
    const alone = join(root, 'random-alone');
    const written = await writeReport([dirs.random], { out: alone });
    const figures = new Set(written.files.map((f) => basename(f).replace(/\.(png|svg|vl\.json)$/, '')));
    expect(figures.has('squared-error')).toBe(true);
    expect(figures.has('relative-error')).toBe(false);
    expect(figures.has('relative-cost')).toBe(false);
    expect(readFileSync(join(alone, 'summary.md'), 'utf8')).not.toContain('relative-error');
  });

  it('puts random labelling first, ASE last, and names the baseline', () => {
    expect(table.settings.map((s) => s.kind)).toEqual(['random', 'active', 'ase']);
    expect(table.baseline).toBe('Random (i.i.d.)');
    expect(table.trueRisk).toBe(0.4);
  });

  it('has numbers equal to those recomputed from the raw arrays', async () => {
    const randomRows = new Map<number, number>();
    for (const target of table.thresholds) {
      randomRows.set(target, (await recompute(dirs.random, target - 1, 0.4)).mse);
    }
    for (const setting of table.settings) {
      for (const cell of setting.cells) {
        expect(cell.labels).toBe(cell.threshold);
        expect(cell.row).toBe(cell.threshold - 1);
        const raw = await recompute(setting.dir, cell.row as number, 0.4);
        expect(cell.mse).toBeCloseTo(raw.mse, 14);
        expect(Math.abs((cell.mse as number) - raw.mse)).toBeLessThanOrEqual(1e-12 * raw.mse);
        expect(Math.abs((cell.medianSe as number) - raw.median)).toBeLessThanOrEqual(1e-12 * raw.median);
        const relative = raw.mse / (randomRows.get(cell.threshold) as number);
        expect(Math.abs((cell.relativeMse as number) - relative)).toBeLessThanOrEqual(1e-12 * relative);
        expect(cell.coverage).toBe(raw.coverage);
      }
    }
  });

  it('writes the same numbers in summary.md as in summary.json', () => {
    const markdown = readFileSync(join(out, 'summary.md'), 'utf8');
    const json = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SummaryTable;
    expect(json).toEqual({ ...JSON.parse(JSON.stringify(table)), unfinished: [], leftOut: [] });
    const mseSection = markdown.split('### ')[1] as string;
    for (const setting of json.settings) {
      const line = mseSection.split('\n').find((l) => l.startsWith(`| ${setting.name} |`));
      const cells = (line as string)
        .split('|')
        .slice(2, -1)
        .map((c) => c.trim());
      expect(cells).toEqual(setting.cells.map((c) => formatNumber(c.mse as number)));
    }
    expect(markdown).toContain('![relative-cost](relative-cost.png)');
  });

  it('refuses to overwrite a report unless forced, then replaces it', async () => {
    const refused = await writeReport([dirs.random, dirs.active], { out }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OutputExistsError);
    // A library caller reads the option's key; `active-testing report` says --force (test/report/cli.test.ts).
    expect((refused as Error).message).toMatch(/ already exists; pass force: true to replace it$/);
    const before = statSync(join(out, 'summary.json')).mtimeMs;
    const result = await writeReport([dirs.random, dirs.active], { out, force: true });
    expect(result.table.settings).toHaveLength(2);
    expect(statSync(join(out, 'summary.json')).mtimeMs).toBeGreaterThanOrEqual(before);
  });

  it('reports the nearest recorded row when the step skips the threshold', async () => {
    const stepped = join(root, 'stepped');
    writeFakeSimulation(stepped, { acquisition: 'surrogate-pe', estimator: 'lure', noise: 0.3, rows: 40, step: 10 });
    const { table: steppedTable } = await writeReport([stepped], { out: join(root, 'stepped-report') });
    const cells = steppedTable.settings[0]?.cells ?? [];
    expect(cells.map((c) => c.labels)).toEqual([51, 101, 201, 391]);
    expect(cells.map((c) => c.row)).toEqual([5, 10, 20, 39]);
    expect(steppedTable.baseline).toBeNull();
    expect(cells.every((c) => c.relativeMse === null)).toBe(true);
    const raw = await recompute(stepped, 5, 0.4);
    expect(Math.abs((cells[0]?.mse as number) - raw.mse)).toBeLessThanOrEqual(1e-12 * raw.mse);
    expect(readFileSync(join(root, 'stepped-report', 'summary.md'), 'utf8')).toContain(`${formatNumber(cells[0]?.mse as number)} (51)`);
    // A threshold past the last row (391) reads it while less than a step beyond, as docs/reports.md says.
    const { table: pastEnd } = await writeReport([stepped], { out: join(root, 'stepped-report-end'), thresholds: [400, 401] });
    expect(pastEnd.settings[0]?.cells.map((c) => c.labels)).toEqual([391, null]);
  });

  it("reads a run's last row, after all its labels, at its size where the step skips that count", async () => {
    const dirs = { random: join(root, 'last-row-iid'), active: join(root, 'last-row-surrogate-ce') };
    const spec = { runs: 40, size: 100, step: 25, kinds: ['anytime'] } as const;
    await writeSimulatedFolder(dirs.random, { ...spec, acquisition: 'iid', seed: 5 });
    await writeSimulatedFolder(dirs.active, { ...spec, acquisition: 'surrogate-ce', seed: 6 });
    const { table } = await writeReport([dirs.active, dirs.random], { out: join(root, 'last-row-report'), thresholds: [100] });
    expect(table.settings).toHaveLength(2);
    for (const { cells } of table.settings) {
      // Rows at 1, 26, 51, 76 and 100 labels: 100 is read there, not at 76.
      expect([cells[0]?.labels, cells[0]?.row]).toEqual([100, 4]);
      expect(cells[0]?.relativeMse).toEqual(expect.any(Number));
      expect(cells[0]?.intervals?.anytime?.coverage).toEqual(expect.any(Number));
    }
  });

  it('reads a folder whose sub-folders are simulate outputs (as simulate --demo writes)', async () => {
    const parent = join(root, 'demo');
    writeFakeSimulation(join(parent, 'surrogate-ce-lure'), { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 20 });
    writeFakeSimulation(join(parent, 'iid'), { acquisition: 'iid', estimator: 'iid', noise: 0.6, rows: 20 });
    const { table: demoTable, summaryPath } = await writeReport([parent], { out: join(parent, 'report'), thresholds: [10] });
    expect(demoTable.settings.map((s) => s.dir)).toEqual([join(parent, 'iid'), join(parent, 'surrogate-ce-lure')]);
    expect(summaryPath).toBe(join(parent, 'report', 'summary.md'));
  });

  it('refuses a sub-folder holding a simulation without its estimates, rather than reporting the rest as all of it', async () => {
    const parent = join(root, 'demo-damaged');
    writeFakeSimulation(join(parent, 'surrogate-ce-lure'), { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 20 });
    writeFakeSimulation(join(parent, 'iid'), { acquisition: 'iid', estimator: 'iid', noise: 0.6, rows: 20 });
    // The report written beside the runs, as simulate --demo writes it, holds a summary.json too: it is no simulation.
    await writeReport([parent], { out: join(parent, 'report'), thresholds: [10] });
    rmSync(join(parent, 'surrogate-ce-lure', 'estimates.npy'));
    const damaged = join(parent, 'surrogate-ce-lure');
    await expect(writeReport([parent], { out: join(root, 'demo-damaged-report') })).rejects.toThrow(
      new FileFormatError(
        damaged,
        `holds a simulate run's summary.json without its estimates.npy, which report reads; run the simulation again, replacing its outputs, or move the folder out of ${parent}`,
      ),
    );
    expect(existsSync(join(root, 'demo-damaged-report'))).toBe(false);
  });

  it('refuses a sub-folder holding an experiment, rather than reporting the simulate runs beside it as all of them', async () => {
    const parent = join(root, 'runs-and-grid');
    writeFakeSimulation(join(parent, 'iid'), { acquisition: 'iid', estimator: 'iid', noise: 0.6, rows: 20 });
    const grid = join(parent, 'grid');
    writeFakeSimulation(join(grid, 'ce'), { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 20 });
    writeFileSync(join(grid, 'ce', 'setting.json'), JSON.stringify({ name: 'ce', fingerprint: 'f' }));
    writeFileSync(join(grid, 'experiment.json'), JSON.stringify({ settings: [{ name: 'ce', folder: 'ce', labelOffset: 0 }] }));
    const gridOut = join(root, 'runs-and-grid-report');
    const expected = new FileFormatError(
      grid,
      `holds an experiment (experiment.json), which report reads only when it is an input folder itself; give it and the other runs of ${parent} as input folders, or move it out of ${parent}`,
    );
    await expect(writeReport([parent], { out: gridOut, thresholds: [10] })).rejects.toThrow(expected);
    expect(existsSync(gridOut)).toBe(false);
    // Also where the experiment is all the folder holds: named, it is read.
    rmSync(join(parent, 'iid'), { recursive: true });
    await expect(writeReport([parent], { out: gridOut, thresholds: [10] })).rejects.toThrow(expected);
    const { table: gridTable } = await writeReport([grid], { out: gridOut, thresholds: [10] });
    expect(gridTable.settings.map((s) => s.name)).toEqual(['ce']);
  });

  it("refuses an experiment's unfinished setting folder given on its own, which may hold another grid's runs", async () => {
    const grid = join(root, 'forced-grid');
    // A --force run stopped part-way: iid recomputed and marked, ce unmarked but still holding the old grid's files.
    writeFakeSimulation(join(grid, 'iid'), { acquisition: 'iid', estimator: 'iid', noise: 0.6, rows: 20 });
    writeFileSync(join(grid, 'iid', 'setting.json'), JSON.stringify({ name: 'iid', fingerprint: 'new' }));
    writeFakeSimulation(join(grid, 'ce'), { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 20 });
    const settings = [
      { name: 'iid', folder: 'iid', labelOffset: 0 },
      { name: 'ce', folder: 'ce', labelOffset: 0 },
    ];
    writeFileSync(join(grid, 'experiment.json'), JSON.stringify({ settings }));
    const forcedOut = join(root, 'forced-grid-report');
    await expect(writeReport([join(grid, 'iid'), join(grid, 'ce')], { out: forcedOut, thresholds: [10] })).rejects.toThrow(
      new FileFormatError(
        join(grid, 'ce'),
        `is a setting of the experiment in ${grid} that has not finished (no setting.json: its files may be another grid's or a stopped run's); run the experiment again to finish it`,
      ),
    );
    expect(existsSync(forcedOut)).toBe(false);
    // The finished one reads as before, and so does a folder the manifest does not list.
    writeFakeSimulation(join(grid, 'dropped'), { acquisition: 'surrogate-pe', estimator: 'lure', noise: 0.3, rows: 20 });
    const { table: forcedTable } = await writeReport([join(grid, 'iid'), join(grid, 'dropped')], { out: forcedOut, thresholds: [10] });
    expect(forcedTable.settings.map((s) => s.dir)).toEqual([join(grid, 'iid'), join(grid, 'dropped')]);
  });

  it('refuses a folder holding no simulation also beside other inputs, rather than reporting the rest as all of it', async () => {
    const empty = join(root, 'no-runs-yet');
    mkdirSync(join(empty, 'iid'), { recursive: true });
    const emptyOut = join(root, 'beside-empty-report');
    await expect(writeReport([dirs.random, empty], { out: emptyOut })).rejects.toThrow(
      new FileFormatError(empty, 'holds no finished simulation (expected summary.json and estimates.npy, or experiment.json)'),
    );
    expect(existsSync(emptyOut)).toBe(false);
  });

  it('names same-named settings apart by their folders, also when the folders share their last name', async () => {
    // Two grids run into runs/x and runs/y write their settings into folders of the same names.
    const x = join(root, 'twin', 'x', 'iid');
    const y = join(root, 'twin', 'y', 'iid');
    writeFakeSimulation(x, { acquisition: 'iid', estimator: 'iid', noise: 0.6, rows: 20, seed: 4 });
    writeFakeSimulation(y, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 20, seed: 5 });
    const twinOut = join(root, 'twin', 'report');
    const { table: twinTable } = await writeReport([x, y], { out: twinOut, thresholds: [10] });
    expect(twinTable.settings.map((s) => s.name)).toEqual(['Random (i.i.d.) [x/iid]', 'Random (i.i.d.) [y/iid]']);
    // Each is its own series in the figures, 20 points each, not one series of 40.
    const points = JSON.parse(readFileSync(join(twinOut, 'squared-error.vl.json'), 'utf8')).data.values as Array<{ setting: string }>;
    expect(twinTable.settings.map((s) => points.filter((p) => p.setting === s.name).length)).toEqual([20, 20]);
  });

  it('refuses a simulation reached twice, as a folder and through the folder holding it', async () => {
    const parent = join(root, 'nested');
    writeFakeSimulation(join(parent, 'iid'), { acquisition: 'iid', estimator: 'iid', noise: 0.6, rows: 20 });
    writeFakeSimulation(join(parent, 'surrogate-ce-lure'), { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 20 });
    await expect(writeReport([parent, join(parent, 'iid')], { out: join(root, 'nested-report') })).rejects.toThrow(
      `dirs: expected each simulation once (the same runs would be two rows), got "${join(parent, 'iid')}" (read through "${parent}" and "${join(parent, 'iid')}")`,
    );
    expect(existsSync(join(root, 'nested-report'))).toBe(false);
  });

  it('thins long curves in the figures but not in the table', async () => {
    const long = join(root, 'long');
    writeFakeSimulation(long, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 2001, runs: 5 });
    const { table: longTable } = await writeReport([long], { out: join(root, 'long-report'), thresholds: [1999] });
    const points = JSON.parse(readFileSync(join(root, 'long-report', 'squared-error.vl.json'), 'utf8')).data.values as Array<{
      labels: number;
    }>;
    expect(points.map((p) => p.labels).slice(0, 3)).toEqual([1, 4, 7]);
    expect(points.at(-1)?.labels).toBe(2001);
    expect(points.length).toBe(668);
    expect(longTable.settings[0]?.cells[0]).toMatchObject({ labels: 1999, row: 1998 });
  });

  it('tables runs of fewer than 50 labels at their last row, not as empty columns', async () => {
    const short = { random: join(root, 'short-iid'), active: join(root, 'short-active') };
    writeFakeSimulation(short.random, { acquisition: 'iid', estimator: 'iid', noise: 0.6, rows: 20, seed: 4 });
    writeFakeSimulation(short.active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 12, seed: 5 });
    const { table: shortTable } = await writeReport([short.random, short.active], { out: join(root, 'r-short') });
    expect(shortTable.thresholds).toEqual([20]);
    const [random, active] = shortTable.settings;
    expect(random?.cells[0]).toMatchObject({ labels: 20, row: 19, mse: (await recompute(short.random, 19, 0.4)).mse });
    expect(active?.cells[0]?.labels).toBeNull(); // stops at 12
    // Thresholds given are kept, reached or not.
    const given = await writeReport([short.random], { out: join(root, 'r-short-given'), thresholds: [50] });
    expect(given.table.thresholds).toEqual([50]);
    expect(given.table.settings[0]?.cells[0]?.mse).toBeNull();
  });

  it('refuses in one line a summary.json that is JSON null, naming it', async () => {
    const dir = join(root, 'null-summary');
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 10 });
    writeFileSync(join(dir, 'summary.json'), 'null\n');
    await expect(writeReport([dir], { out: join(root, 'r-null') })).rejects.toThrow(
      new FileFormatError(join(dir, 'summary.json'), 'has no numeric "true_risk"'),
    );
  });

  it('refuses in one line a summary.json without "labels", rather than guess its rows', async () => {
    // --size 100 --step 25 records rows after 1, 26, 51, 76 and 100 labels: k·step + 1 would read 101.
    const dir = join(root, 'no-labels');
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 5, step: 25 });
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    delete summary.labels;
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
    const out = join(root, 'r-no-labels');
    await expect(writeReport([dir], { out })).rejects.toThrow(
      new FileFormatError(join(dir, 'summary.json'), 'has no "labels" (the label count of each of the 5 rows of estimates.npy)'),
    );
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['1,26', '"labels" must be a list of label counts, one per row of estimates.npy, got "1,26"'],
    [null, '"labels" must be a list of label counts, one per row of estimates.npy, got null'],
    [{ 1: 1 }, '"labels" must be a list of label counts, one per row of estimates.npy, got an object'],
    [[1, 26, 51, 76, '100'], '"labels" must be whole numbers ≥ 1, got "100" for row 5'],
    [[1, 26, null, 76, 100], '"labels" must be whole numbers ≥ 1, got null for row 3'],
    [[0, 26, 51, 76, 100], '"labels" must be whole numbers ≥ 1, got 0 for row 1'],
    [[1, 26.5, 51, 76, 100], '"labels" must be whole numbers ≥ 1, got 26.5 for row 2'],
    [[100, 76, 51, 26, 1], '"labels" must increase row by row, got 76 after 100 (row 2)'],
    [[1, 26, 26, 76, 100], '"labels" must increase row by row, got 26 after 26 (row 3)'],
  ])('refuses in one line a summary.json whose "labels" are %j, naming it', async (labels, message) => {
    // Each would be read as rows at other label counts than those run: a table of wrong rows.
    const dir = join(root, `bad-labels-${JSON.stringify(labels).replace(/\W/g, '_')}`);
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 5, step: 25 });
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    summary.labels = labels;
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
    const out = join(dir, 'report');
    await expect(writeReport([dir], { out })).rejects.toThrow(new FileFormatError(join(dir, 'summary.json'), message));
    expect(existsSync(out)).toBe(false);
  });

  it('names a summary.json that cannot be read once, by its plain reason', async () => {
    const dir = join(root, 'folder-summary');
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 10 });
    rmSync(join(dir, 'summary.json'));
    mkdirSync(join(dir, 'summary.json'));
    await expect(writeReport([dir], { out: join(root, 'r-folder-summary') })).rejects.toThrow(
      new FileFormatError(join(dir, 'summary.json'), 'cannot read a simulation summary: a folder, not a file (EISDIR)'),
    );
  });

  it('rejects missing folders, mixed pools and an unknown baseline', async () => {
    const missing = join(root, 'missing');
    await expect(writeReport([missing], { out: join(root, 'r1') })).rejects.toThrow(
      new InputError({
        argument: 'dirs',
        expected: 'simulate or experiment output folders',
        received: ReceivedKind.noted(missing, 'it does not exist'),
      }),
    );
    // Nor is it made by the default output folder inside it, as the CLI gives it.
    await expect(writeReport([missing], { out: join(missing, 'report') })).rejects.toThrow(/" \(it does not exist\)$/);
    expect(existsSync(missing)).toBe(false);
    const otherPool = join(root, 'other-pool');
    writeFakeSimulation(otherPool, { acquisition: 'iid', estimator: 'iid', noise: 0.5, trueRisk: 0.7, rows: 10 });
    await expect(writeReport([dirs.random, otherPool], { out: join(root, 'r2') })).rejects.toBeInstanceOf(InputError);
    await expect(writeReport([dirs.random], { out: join(root, 'r3'), baseline: 'nope' })).rejects.toThrow(
      'baseline: expected a random-labelling setting, by its name, folder name or acquisition (iid, where one setting has it): "Random (i.i.d.)" (folder iid), got "nope"',
    );
    // A setting that is not random labelling is no baseline: the table's words say random labelling.
    const active = (await writeReport([dirs.random, dirs.active], { out: join(root, 'r4') })).table.settings.find(
      (s) => s.acquisition !== 'iid',
    )!.name;
    await expect(writeReport([dirs.random, dirs.active], { out: join(root, 'r5'), baseline: active })).rejects.toThrow(
      `baseline: expected a random-labelling setting, by its name, folder name or acquisition (iid, where one setting has it): "Random (i.i.d.)" (folder iid), got "${active}"`,
    );
  });

  it('takes the baseline by its name, its folder name, or its acquisition where one setting has it', async () => {
    const parent = join(root, 'two-random');
    const grid = join(parent, 'random-i.i.d.');
    const other = join(parent, 'random-b');
    writeFakeSimulation(grid, { acquisition: 'iid', estimator: 'iid', noise: 0.6, seed: 1 });
    writeFakeSimulation(other, { acquisition: 'iid', estimator: 'iid', noise: 0.4, seed: 2 });
    const baseline = async (inputs: string[], name: string, folder: string) =>
      (await writeReport(inputs, { out: join(root, folder), baseline: name })).table.baseline;
    const both = await writeReport([grid, other], { out: join(root, 'two-random-names') });
    const [gridName, otherName] = both.table.settings.map((s) => s.name);
    expect(await baseline([grid, other], 'random-b', 'by-folder')).toBe(otherName);
    expect(await baseline([grid, other], gridName!, 'by-name')).toBe(gridName);
    expect(await baseline([grid], 'iid', 'by-acquisition')).toBe('Random (i.i.d.)');
    // iid names both: not a choice; the message lists what would be.
    await expect(baseline([grid, other], 'iid', 'by-acquisition-2')).rejects.toThrow(
      `baseline: expected a name of one setting only, by its name, folder name or acquisition (iid, where one setting has it): ${JSON.stringify(gridName)} (folder random-i.i.d.), ${JSON.stringify(otherName)} (folder random-b), got "iid"`,
    );
  });

  it('states the nominal coverage of the bootstrap interval it was given: 2Φ(C) − 1 for ±Cσ', async () => {
    const nominal = async (confidence: number | undefined, name: string) => {
      const dir = join(root, name);
      await writeReport([dirs.random], { out: dir, ...(confidence === undefined ? {} : { confidence }) });
      const heading = readFileSync(join(dir, 'summary.md'), 'utf8').match(/### Coverage of the approximate bootstrap interval.*/)?.[0];
      const spec = JSON.parse(readFileSync(join(dir, 'bootstrap.vl.json'), 'utf8'));
      return { heading, rule: spec.hconcat[1].layer[1].data.values[0].nominal };
    };
    // 2Φ(1.96) − 1 = 0.950004, 2Φ(1) − 1 = 0.682689, 2Φ(2.576) − 1 = 0.990003: shown to 3 significant digits.
    expect(await nominal(undefined, 'nominal-default')).toEqual({
      heading: '### Coverage of the approximate bootstrap interval, estimate ± 1.96σ (nominal 0.95, no guarantee)',
      rule: 0.95,
    });
    expect(await nominal(1, 'nominal-1')).toEqual({
      heading: '### Coverage of the approximate bootstrap interval, estimate ± 1σ (nominal 0.683, no guarantee)',
      rule: 0.683,
    });
    expect((await nominal(2.576, 'nominal-2.576')).rule).toBe(0.99);
  });

  it('checks its options as active-testing report checks its flags', async () => {
    const report = (options: object) => writeReport([dirs.random], { out: join(root, 'r6'), ...options });
    await expect(report({ thresholds: [0] })).rejects.toThrow(/^thresholds: expected integers ≥ 1/);
    await expect(report({ thresholds: [2.5] })).rejects.toThrow(/^thresholds: expected integers ≥ 1/);
    await expect(report({ confidence: -1 })).rejects.toThrow('confidence: expected a multiple of σ ≥ 1 (1.96 for a 95% band), got -1');
    // A level where a multiple of σ is meant would draw ± 0.95σ under a "95%" reading.
    await expect(report({ confidence: 0.95 })).rejects.toThrow('confidence: expected a multiple of σ ≥ 1 (1.96 for a 95% band), got 0.95');
    await expect(report({ confidence: 0.99 })).rejects.toThrow('confidence: expected a multiple of σ ≥ 1 (2.58 for a 99% band), got 0.99');
    await expect(report({ smoothing: 0 })).rejects.toThrow(/^smoothing: expected an integer ≥ 1, got 0/);
    await expect(report({ smoothing: 1.5 })).rejects.toThrow(/^smoothing: expected an integer ≥ 1, got 1.5/);
    await expect(report({ treshold: [50] })).rejects.toThrow(/^treshold: expected a known option, did you mean thresholds\?/);
    // Wrong types from JavaScript callers: a typed error naming the option, and nothing written.
    await expect(report({ force: 'yes' })).rejects.toThrow('force: expected true or false, got "yes"');
    await expect(report({ out: 5 })).rejects.toThrow('out: expected a non-empty string, got 5');
    await expect(writeReport([dirs.random], {} as never)).rejects.toThrow('out: expected a non-empty string');
    await expect(report({ baseline: 5 })).rejects.toThrow('baseline: expected a non-empty string, got 5');
    await expect(writeReport(dirs.random as never, { out: join(root, 'r6') })).rejects.toThrow(
      'dirs: expected a non-empty list of simulate or experiment output folders',
    );
    await expect(writeReport([], { out: join(root, 'r6') })).rejects.toThrow(
      'dirs: expected a non-empty list of simulate or experiment output folders',
    );
    expect(existsSync(join(root, 'r6'))).toBe(false);
  });
});

describe('writeReport with recorded intervals (simulate --interval anytime,fixed,bootstrap)', () => {
  const intervalRoot = join(root, 'intervals');
  const kinds = ['anytime', 'fixed', 'bootstrap'] as const;
  const intervalDirs = { random: join(intervalRoot, 'iid'), active: join(intervalRoot, 'surrogate-ce') };
  const intervalOut = join(intervalRoot, 'report');
  const RUNS = 120;
  let intervalTable: SummaryTable;
  let intervalFiles: string[];
  let summaries: Record<'random' | 'active', SimulationSummary>;

  beforeAll(async () => {
    summaries = {
      random: await writeSimulatedFolder(intervalDirs.random, { acquisition: 'iid', runs: RUNS, size: 111, step: 10, seed: 5, kinds }),
      active: await writeSimulatedFolder(intervalDirs.active, {
        acquisition: 'surrogate-ce',
        runs: RUNS,
        size: 111,
        step: 10,
        seed: 6,
        kinds,
      }),
    };
    ({ table: intervalTable, files: intervalFiles } = await writeReport([intervalDirs.active, intervalDirs.random], {
      out: intervalOut,
      thresholds: [51, 101],
    }));
  });

  /** Coverage, median half-width and simultaneous coverage of one kind, recomputed from its lower/upper .npy files. */
  async function recomputeIntervals(dir: string, kind: string, row: number, trueRisk: number) {
    const lower = await readNpy(join(dir, `${kind}_lower.npy`));
    const upper = await readNpy(join(dir, `${kind}_upper.npy`));
    const [rows, runs] = lower.shape as [number, number];
    const at = (a: typeof lower, r: number, c: number) => a.data[r * runs + c] as number;
    let inside = 0;
    let always = 0;
    const halves: number[] = [];
    for (let c = 0; c < runs; c++) {
      if (at(lower, row, c) <= trueRisk && trueRisk <= at(upper, row, c)) inside++;
      let every = true;
      for (let r = 0; r < rows; r++) every &&= at(lower, r, c) <= trueRisk && trueRisk <= at(upper, r, c);
      if (every) always++;
      halves.push((at(upper, row, c) - at(lower, row, c)) / 2);
    }
    halves.sort((a, b) => a - b);
    const median = ((halves[runs / 2 - 1] as number) + (halves[runs / 2] as number)) / 2;
    return { coverage: inside / runs, medianHalfWidth: median, simultaneousCoverage: always / runs };
  }

  it('draws a coverage and a median half-width figure per interval kind', () => {
    const names = intervalFiles.map((f) => f.slice(intervalOut.length + 1));
    for (const kind of kinds) {
      for (const figure of [`coverage-${kind}`, `half-width-${kind}`]) {
        for (const ext of ['png', 'svg', 'vl.json']) expect(names).toContain(`${figure}.${ext}`);
      }
    }
    const coverage = JSON.parse(readFileSync(join(intervalOut, 'coverage-anytime.vl.json'), 'utf8'));
    expect(coverage.title.text).toBe('Coverage of the anytime-valid confidence sequence');
    const points = coverage.data.values as Array<{ setting: string; labels: number; coverage: number }>;
    const active = points.filter((p) => p.setting === 'surrogate-ce · LURE · clip 0.1');
    expect(active.map((p) => p.labels)).toEqual(summaries.active.labels);
    expect(active.map((p) => p.coverage)).toEqual(summaries.active.intervals?.anytime?.coverage);
    expect(readFileSync(join(intervalOut, 'half-width-fixed.svg'), 'utf8')).toContain('Median half-width of the fixed-budget interval');
  });

  it('has interval numbers equal to those recomputed from the lower/upper arrays', async () => {
    for (const setting of intervalTable.settings) {
      expect(Object.keys(setting.intervals ?? {})).toEqual([...kinds]);
      for (const kind of kinds) {
        const record = setting.intervals?.[kind];
        for (const cell of setting.cells) {
          const raw = await recomputeIntervals(setting.dir, kind, cell.row as number, intervalTable.trueRisk);
          expect(cell.intervals?.[kind]).toEqual({ coverage: raw.coverage, medianHalfWidth: raw.medianHalfWidth });
          // The bootstrap claims nothing about label counts jointly (and has no width at one label, where it covers no run).
          expect(record?.simultaneousCoverage).toBe(kind === 'bootstrap' ? null : raw.simultaneousCoverage);
        }
      }
      expect(setting.intervals?.anytime?.name).toBe('anytime-valid confidence sequence');
      expect(setting.intervals?.bootstrap?.name).toBe('approximate bootstrap interval (±1.96σ)');
      // The report's own bootstrap coverage (±1.96σ, finite-population corrected) is the recorded bootstrap interval's.
      for (const cell of setting.cells) expect(cell.coverage).toBe(cell.intervals?.bootstrap?.coverage);
    }
    // 120 runs: the sequence's simultaneous coverage stays above 0.95 − 3 standard errors.
    for (const setting of intervalTable.settings) {
      expect(setting.intervals?.anytime?.simultaneousCoverage).toBeGreaterThanOrEqual(0.95 - 3 * Math.sqrt((0.95 * 0.05) / RUNS));
    }
  });

  it('names each kind by its guarantee in summary.md, with the half-width ratios to the bootstrap', () => {
    const markdown = readFileSync(join(intervalOut, 'summary.md'), 'utf8');
    expect(markdown).toContain(
      '### Coverage of the anytime-valid confidence sequence (nominal 0.95; covers R at every label count at once',
    );
    expect(markdown).toContain('### Coverage of the fixed-budget interval');
    expect(markdown).toContain('### Coverage of the approximate bootstrap interval, estimate ± 1.96σ');
    const ratioSection = markdown.split("### Median half-width of the anytime-valid confidence sequence ÷ the bootstrap's")[1] as string;
    const active = intervalTable.settings.find((s) => s.kind === 'active') as SummaryTable['settings'][number];
    const line = ratioSection.split('\n').find((l) => l.startsWith(`| ${active.name} |`)) as string;
    const expected = active.cells.map((c) =>
      ((c.intervals?.anytime?.medianHalfWidth as number) / (c.intervals?.bootstrap?.medianHalfWidth as number)).toFixed(3),
    );
    expect(
      line
        .split('|')
        .slice(2, -1)
        .map((c) => c.trim()),
    ).toEqual(expected);
    expect(markdown).toContain('![coverage-fixed](coverage-fixed.png)');
  });

  it("shows the sequences' simultaneous coverage in summary.md, and none for the bootstrap, also from an older summary.json that recorded it", async () => {
    const markdown = readFileSync(join(intervalOut, 'summary.md'), 'utf8');
    const section = markdown.split('### Simultaneous coverage')[1] as string;
    const lines = section.split('\n').filter((l) => l.startsWith('| '));
    expect(lines[0]).toBe('| Setting | anytime-valid confidence sequence | fixed-budget interval |');
    for (const setting of intervalTable.settings) {
      const shares = ['anytime', 'fixed'].map((kind) =>
        (setting.intervals?.[kind as 'anytime']?.simultaneousCoverage as number).toFixed(3),
      );
      expect(lines).toContain(`| ${setting.name} | ${shares.join(' | ')} |`);
    }
    const older = join(intervalRoot, 'older');
    writeFakeSimulation(older, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 2 });
    const summary = JSON.parse(readFileSync(join(older, 'summary.json'), 'utf8'));
    summary.intervals = {
      anytime: { coverage: [1, 1], simultaneous_coverage: 0.5, median_half_width: [0.3, 0.2] },
      bootstrap: { coverage: [0, 1], simultaneous_coverage: 0, median_half_width: [0, 0.1] },
    };
    writeFileSync(join(older, 'summary.json'), JSON.stringify(summary));
    const { table } = await writeReport([older], { out: join(intervalRoot, 'older-report'), thresholds: [1] });
    expect(table.settings[0]?.intervals?.anytime?.simultaneousCoverage).toBe(0.5);
    expect(table.settings[0]?.intervals?.bootstrap?.simultaneousCoverage).toBeNull();
    const olderMarkdown = readFileSync(join(intervalRoot, 'older-report', 'summary.md'), 'utf8');
    expect(olderMarkdown.split('### Simultaneous coverage')[1]).toContain(
      '| Setting | anytime-valid confidence sequence |\n| --- | ---: |\n| Random (i.i.d.) | 0.500 |',
    );
  });

  it('refuses a summary.json whose intervals do not match the rows', async () => {
    const broken = join(intervalRoot, 'broken');
    writeFakeSimulation(broken, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 10 });
    const summary = JSON.parse(readFileSync(join(broken, 'summary.json'), 'utf8'));
    summary.intervals = { anytime: { coverage: [1, 1], simultaneous_coverage: 1, median_half_width: [0.1, 0.1] } };
    writeFileSync(join(broken, 'summary.json'), JSON.stringify(summary));
    await expect(writeReport([broken], { out: join(intervalRoot, 'broken-report') })).rejects.toThrow(
      /"intervals\.anytime\.coverage" must have one entry per row of estimates\.npy \(10\)/,
    );
  });
});

describe('loadReportSettings with files saved as "UTF-8 with BOM"', () => {
  it('reads a summary.json and an experiment.json that start with a byte-order mark as without it', async () => {
    const dir = join(root, 'bom-summary');
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 10 });
    const [plain] = await loadReportSettings([dir]);
    writeFileSync(join(dir, 'summary.json'), `\uFEFF${readFileSync(join(dir, 'summary.json'), 'utf8')}`);
    const [marked] = await loadReportSettings([dir]);
    expect(marked?.trueRisk).toBe(plain?.trueRisk);
    expect(marked).toEqual(plain);

    const experiment = join(root, 'bom-experiment');
    mkdirSync(experiment);
    writeFileSync(join(experiment, 'experiment.json'), `\uFEFF${JSON.stringify({ settings: [{ name: 'a', folder: 'a' }] })}`);
    const unfinished: string[] = [];
    await expect(loadReportSettings([experiment], (name) => unfinished.push(name))).rejects.toThrow(
      /none of the experiment's 1 setting has finished/,
    );
    expect(unfinished).toEqual(['a']);
  });
});
