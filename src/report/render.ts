import type { TopLevelSpec } from 'vega-lite';
import { checkObject } from '../io/check-arguments.js';
import { checkKnownKeys } from '../io/suggest.js';
import type { VegaLiteSpec } from './specs.js';

/**
 * Loads an ES module. The CommonJS build turns `import()` into `require()`, which cannot load
 * `vega` (an ES module with top-level await): there, the module is imported through code built
 * from a string, which the build leaves alone. (That route is unavailable under test runners that
 * evaluate modules in a VM context, hence the literal `import()` first.)
 */
async function importModule<T>(load: () => Promise<T>, specifier: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    return (await new Function('specifier', 'return import(specifier)')(specifier)) as T;
  }
}

async function loadRenderers() {
  const [vegaLite, vega, sharp] = await Promise.all([
    importModule(() => import('vega-lite'), 'vega-lite'),
    importModule(() => import('vega'), 'vega'),
    importModule(() => import('sharp'), 'sharp'),
  ]);
  return { vegaLite, vega, sharp: sharp.default };
}

/** A figure rendered from its Vega-Lite specification. */
export interface RenderedFigure {
  spec: VegaLiteSpec;
  svg: string;
  /** The PNG file's bytes (a Node `Buffer`, typed as the `Uint8Array` it is). */
  png: Uint8Array;
}

/**
 * Compiles a Vega-Lite specification with `vega-lite`, renders it headless with `vega` to SVG,
 * and rasterises the SVG to PNG with `sharp`. The three libraries are loaded on first use, so
 * importing the package does not load them.
 *
 * @example
 * const { svg, png } = await renderFigure(squaredErrorSpec(points));
 * @throws {InputError} when `spec` or `options` is not an object, before the renderers are loaded.
 */
export async function renderFigure(spec: VegaLiteSpec, options: { pngScale?: number } = {}): Promise<RenderedFigure> {
  checkObject(spec, 'spec', 'a Vega-Lite specification (e.g. from squaredErrorSpec)');
  checkObject(options, 'options', 'an options object { pngScale? }');
  checkKnownKeys(options, ['pngScale'], null);
  const { vegaLite, vega, sharp } = await loadRenderers();
  const compiled = vegaLite.compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // 72 dpi is the SVG's 1:1 size; the default scale 2 gives a sharp 144 dpi PNG.
    const png = await sharp(Buffer.from(svg), { density: 72 * (options.pngScale ?? 2) })
      .png()
      .toBuffer();
    return { spec, svg, png };
  } finally {
    view.finalize();
  }
}
