import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { intervalCoverageSpec, squaredErrorSpec, type VegaLiteSpec } from '../../src/report/specs.js';

/** The SVG vega draws of a figure, headless, as the report renders it. */
async function drawnSvg(spec: VegaLiteSpec): Promise<string> {
  const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec as unknown as TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

describe('legends: setting names that differ only at their end stay apart', () => {
  // Two defensive weights of one proposal: 46 characters each, told apart by the last three. The
  // legend cut both to "surrogate-ce · LURE · clip 0.1 · defens…" (vega estimates 0.8 em a
  // character without a canvas, so its label limit cut names above about 40 characters).
  const names = [
    'Random (i.i.d.)',
    'surrogate-ce · LURE · clip 0.1 · defensive 0.2',
    'surrogate-ce · LURE · clip 0.1 · defensive 0.5 [runs/def5]',
  ];

  it('draws every name in full in the coverage figure', async () => {
    const points = names.flatMap((setting) => [1, 2].map((labels) => ({ setting, labels, coverage: 0.97, medianHalfWidth: 0.2 })));
    const svg = await drawnSvg(intervalCoverageSpec(points, { name: 'anytime-valid confidence sequence', guarantee: 'covers R' }));
    for (const name of names) expect(svg).toContain(`>${name}<`);
    expect(svg).not.toContain('…');
  });

  it('draws every name in full in the squared-error figure', async () => {
    const points = names.flatMap((setting) => [1, 2].map((labels) => ({ setting, labels, mse: 0.2, medianSe: 0.1, p45: 0.08, p55: 0.12 })));
    const svg = await drawnSvg(squaredErrorSpec(points));
    for (const name of names) expect(svg).toContain(`>${name}<`);
    expect(svg).not.toContain('…');
  });
});
