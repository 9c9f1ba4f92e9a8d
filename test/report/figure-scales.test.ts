import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { relativeSpec, type VegaLiteSpec } from '../../src/report/specs.js';

/** The domain of a scale of the figure as vega draws it (after vega-lite's defaults, e.g. `nice`). */
async function drawnDomain(spec: VegaLiteSpec, scale: string): Promise<number[]> {
  const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec as unknown as TopLevelSpec).spec), { renderer: 'none' });
  try {
    await view.runAsync();
    return view.scale(scale).domain() as number[];
  } finally {
    view.finalize();
  }
}

describe('relative figures: the y axis ends where the subtitle says values are cut off', () => {
  const points = [
    { setting: 'surrogate-ce', labels: 1, mse: 2, medianSe: 1 },
    { setting: 'surrogate-ce', labels: 2, mse: 0.5, medianSe: 0.4 },
  ];

  it('cuts off at yMax, 1.5, not at a rounder 1.6', async () => {
    const spec = relativeSpec(points, { title: 'Relative labelling cost', yTitle: 'Labels needed ÷ random budget', yMax: 1.5 });
    expect(JSON.stringify(spec)).toContain('values above 1.5 are cut off');
    expect(await drawnDomain(spec, 'concat_0_y')).toEqual([0, 1.5]);
    expect(await drawnDomain(spec, 'concat_1_y')).toEqual([0, 1.5]);
  });

});
