import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

const shared: Options = {
  sourcemap: true,
  shims: true,
  target: 'node20',
  external: ['@huggingface/transformers', 'sharp', 'vega', 'vega-lite'],
  // Bundled: as a CommonJS package it would start Node's CommonJS loader (~10 ms) in every command.
  noExternal: ['seedrandom'],
  // The version is written into the bundle, so that dist/ does not carry package.json.
  define: { __PACKAGE_VERSION__: JSON.stringify(version) },
  // Class names as written (esbuild renames some, e.g. Model to _Model): users see them in logs,
  // and instanceof across the ES module and CommonJS copies compares error classes by name.
  keepNames: true,
};

const entry = { index: 'src/index.ts', cli: 'src/cli/main.ts', worker: 'src/simulate/worker.ts' };
/**
 * The declarations use Node's globals (AbortSignal), typed by @types/node, a dependency: this
 * directive at the top of each .d.ts makes a consumer's compiler load it, also where its
 * tsconfig's `types` or `lib` leave Node out. (Written here: the declaration bundler drops the
 * directives of the sources.)
 */
const dts = { entry: { index: 'src/index.ts', reference: 'src/reference/index.ts' }, banner: '/// <reference types="node" />' };

export default defineConfig([
  { ...shared, entry: { ...entry, reference: 'src/reference/index.ts' }, format: ['esm'], splitting: true, dts },
  // No code splitting for CommonJS: tsup's split CJS output turns `import()` of the ESM-only
  // dependencies (hyparquet, vega) into `require()`, which Node 20 before 20.19 cannot do.
  // Without splitting a second CommonJS entry would carry its own copy of every class, so
  // dist/reference.cjs is written after the build as a re-export of dist/index.cjs.
  // Only the library has a CommonJS build: the bin is dist/cli.js and workers load dist/worker.js.
  { ...shared, entry: { index: entry.index }, format: ['cjs'], splitting: false, dts },
  // The labelling page of `active-testing serve`: one self-contained browser script with vega and
  // vega-lite inside, so the page works offline and nothing is built at install time.
  {
    entry: { 'page/app': 'src/serve/page/main.ts' },
    platform: 'browser',
    format: ['iife'],
    target: 'es2020',
    minify: true,
    noExternal: [/.*/],
    outExtension: () => ({ js: '.js' }),
    tsconfig: 'src/serve/page/tsconfig.json',
  },
]);
