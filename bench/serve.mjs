// `active-testing serve` on a 100,000-item pool: the time from a label
// being posted to the response that carries the next item, measured at the client over loopback
// (so it bounds the server's time from above), label journaled and fsynced included.
//
// Run after `npm run build`: node bench/serve.mjs   (BENCH_POOL=… BENCH_LABELS=… to change sizes)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticPool, writeNpy } from '../dist/index.js';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const size = Number(process.env.BENCH_POOL ?? 100_000);
const labels = Number(process.env.BENCH_LABELS ?? 300);

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
