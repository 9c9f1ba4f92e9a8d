// `active-testing serve` on a 100,000-item pool: the time from a label
// being posted to the response that carries the next item, measured at the client over loopback
// (so it bounds the server's time from above), label journaled and fsynced included. Then the
// library's side of a session on a pool with many classes (BENCH_CLASSES, default 100): creating
// it, reopening it with BENCH_LABELS labels in its journal, and `estimate()` as a page calls it
// after every label, after a skip and after an undo; each the median of BENCH_REPEATS (3) runs, in
// wall time and in the process's CPU time (steadier on a loaded machine).
//
// Run after `npm run build`: node bench/serve.mjs   (BENCH_POOL=… BENCH_LABELS=… to change sizes)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActiveTestingSession, syntheticPool, writeNpy } from '../dist/index.js';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const size = Number(process.env.BENCH_POOL ?? 100_000);
const labels = Number(process.env.BENCH_LABELS ?? 300);
const classCount = Number(process.env.BENCH_CLASSES ?? 100);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

const dir = mkdtempSync(join(tmpdir(), 'at-bench-serve-'));
try {
  const pool = syntheticPool({ poolSize: size, classCount: 2, seed: 0 });
  const data = join(dir, 'pool.tsv');
  writeFileSync(
    data,
    ['sentence', ...Array.from({ length: size }, (_, i) => `benchmark item ${i} with a sentence of ordinary length`)].join('\n') + '\n',
  );
  await writeNpy(join(dir, 'f.npy'), { data: pool.modelScores.data, shape: [size, 2], dtype: 'f8' });
  await writeNpy(join(dir, 'g.npy'), { data: pool.surrogateScores.data, shape: [size, 2], dtype: 'f8' });
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--port',
      '0',
      '--session',
      join(dir, 'bench.session'),
      '--data',
      data,
      '--classes',
      'negative,positive',
      '--model-scores',
      join(dir, 'f.npy'),
      '--surrogate-scores',
      join(dir, 'g.npy'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((done, fail) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match) done(match[1]);
    });
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
  });
  const startup = performance.now() - started;
  try {
    const origin = new URL(url).origin;
    const first = await fetch(url, { redirect: 'manual' });
    const cookie = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    /** @type {{ item?: { id: string }, error?: string }} */
    let view = /** @type {any} */ (await (await fetch(`${origin}/api/state`, { headers: { cookie } })).json());
    const times = [];
    for (let n = 0; n < labels && view.item; n++) {
      const t0 = performance.now();
      const response = await fetch(`${origin}/api/label`, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/json' },
        body: JSON.stringify({ id: view.item.id, label: pool.labels[Number(view.item.id)] }),
      });
      view = /** @type {any} */ (await response.json());
      times.push(performance.now() - t0);
      if (!response.ok) throw new Error(view.error);
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
    console.log(
      `pool ${size.toLocaleString('en')} items, ${times.length} labels posted one after another (${cpus()[0].model}, load ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
    );
    console.log(`server start (session created from the files): ${(startup / 1000).toFixed(1)} s`);
    console.log(
      `label posted → next item received: median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${times[times.length - 1].toFixed(1)} ms (target ≤ 50 ms)`,
    );
  } finally {
    child.kill('SIGTERM');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** `work`'s wall and CPU milliseconds (user + system, this process). */
async function timed(work) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000, value };
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** One session's life at `classCount` classes: create, label, reopen, and the estimates read on the way. */
async function sessionRun(pool, options, dir) {
  const path = join(dir, 'library.session');
  const created = await timed(() => ActiveTestingSession.create(path, options));
  const session = created.value;
  /** @type {Record<'label' | 'skip' | 'undo', number[]>} */
  const estimates = { label: [], skip: [], undo: [] };
  for (let m = 0; m < labels; m++) {
    const [item] = await session.next();
    const skip = m % 50 === 25;
    if (skip) await session.skip(item.id);
    else await session.record(item.id, pool.labels[item.index]);
    estimates[skip ? 'skip' : 'label'].push((await timed(() => session.estimate())).wall);
    if (m % 50 === 40) {
      await session.undo();
      estimates.undo.push((await timed(() => session.estimate())).wall);
      await session.record(item.id, pool.labels[item.index]);
    }
  }
  await session.close();
  const opened = await timed(() => ActiveTestingSession.open(path));
  await opened.value.close();
  rmSync(path);
  return { created, opened, estimates };
}

const libraryDir = mkdtempSync(join(tmpdir(), 'at-bench-session-'));
try {
  const pool = syntheticPool({ poolSize: size, classCount, seed: 0 });
  const base = {
    texts: Array.from({ length: size }, (_, i) => `benchmark item ${i}`),
    classes: Array.from({ length: classCount }, (_, k) => `class ${k}`),
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
  };
  console.log(
    `\nlibrary sessions: ${size.toLocaleString('en')} items × ${classCount} classes, ${labels} labels, median of ${repeats} runs`,
  );
  /** @type {[string, { loss: 'cross-entropy' | 'zero-one', acquisition?: 'surrogate-ce' }][]} */
  const settingsList = [
    ['adaptive, cross-entropy', { loss: 'cross-entropy' }],
    ['surrogate-ce, cross-entropy', { loss: 'cross-entropy', acquisition: 'surrogate-ce' }],
    ['surrogate-ce, zero-one', { loss: 'zero-one' }],
  ];
  for (const [name, settings] of settingsList) {
    const runs = [];
    for (let r = 0; r < repeats; r++) runs.push(await sessionRun(pool, { ...base, ...settings }, libraryDir));
    const ms = (values) => `${Math.round(median(values))} ms`;
    const each = (values) => `${median(values).toFixed(2)} ms`;
    console.log(
      `${name}: create ${ms(runs.map((r) => r.created.wall))} (CPU ${ms(runs.map((r) => r.created.cpu))}), ` +
        `open ${ms(runs.map((r) => r.opened.wall))} (CPU ${ms(runs.map((r) => r.opened.cpu))}); ` +
        `estimate() after a label ${each(runs.flatMap((r) => r.estimates.label))}, ` +
        `after a skip ${each(runs.flatMap((r) => r.estimates.skip))}, after an undo ${each(runs.flatMap((r) => r.estimates.undo))}`,
    );
  }
} finally {
  rmSync(libraryDir, { recursive: true, force: true });
}
