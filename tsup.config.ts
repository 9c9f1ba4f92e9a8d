import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli/main.ts',
    worker: 'src/simulate/worker.ts',
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
]);
