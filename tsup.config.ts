import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli/main.ts',
    worker: 'src/acquisition/worker.ts',
  },
  sourcemap: true,
  shims: true,
  target: 'node20',
  external: ['@huggingface/transformers', 'sharp', 'vega', 'vega-lite'],
};

export default defineConfig([
  { ...shared, format: ['esm'], splitting: true, dts: { entry: { index: 'src/index.ts' } } },
  // No code splitting for CommonJS: tsup's split CJS output turns `import()` of the ESM-only
  // dependencies (hyparquet, vega) into `require()`, which Node 20 before 20.19 cannot do.
  { ...shared, format: ['cjs'], splitting: false, dts: { entry: { index: 'src/index.ts' } } },
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
