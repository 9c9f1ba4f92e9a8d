import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { halfWidthSpec, relativeSpec, type VegaLiteSpec } from '../../src/report/specs.js';

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

describe('half-width figures: a width of rounding size does not stretch the log axis', () => {
  // The bootstrap interval at one label: σ = 0, and its half-width is only the rounding
  // allowance 2ε·N·|estimate| (1.24e-13 in a 300-run simulation of the demo pool).
  const points = [0.0, 1.2412813832352043e-13, 0.0759, 0.1199, 0.0563, 0.0302].map((medianHalfWidth, r) => ({
    setting: 'Random (i.i.d.)',
    labels: r + 1,
    coverage: 0.9,
    medianHalfWidth,
  }));

  it('draws the axis over the widths a user sees, 0.03 to 0.12, and says what it left out', async () => {
    const spec = halfWidthSpec(points, { name: 'approximate bootstrap interval (±1.96σ)' });
    const [low, high] = await drawnDomain(spec, 'y');
    expect(low).toBeGreaterThanOrEqual(0.01);
    expect(high).toBeLessThanOrEqual(1);
    expect(JSON.stringify(spec)).toContain('left out: 1 and 2 labels, where it is 0 or of rounding size');
  });

  it('names the label counts it left out: with the whole pool labelled, the last one, not the first', () => {
    // N = 20, --size 20: every kind's interval is the point R at 20 labels, and at one label the
    // sequence has its full width.
    const spec = halfWidthSpec(
      [1.6, 0.9, 0.4, 4.33e-15].map((medianHalfWidth, r) => ({
        setting: 'adaptive',
        labels: [1, 10, 19, 20][r]!,
        coverage: 1,
        medianHalfWidth,
      })),
      { name: 'anytime-valid confidence sequence' },
    );
    const text = JSON.stringify(spec);
    expect(text).toContain('left out: 20 labels, where it is 0 or of rounding size (σ = 0)');
    expect(text).not.toContain('one label');
  });

  it('keeps the real widths beside one huge width (a loss near 1e300 at one label)', async () => {
    const spec = halfWidthSpec([{ ...points[2]!, labels: 1, medianHalfWidth: 1e299 }, ...points.slice(2)], {
      name: 'anytime-valid confidence sequence',
    });
    expect(JSON.stringify(spec)).not.toContain('left out');
    const [low] = await drawnDomain(spec, 'y');
    expect(low).toBeLessThanOrEqual(0.03);
  });

  it('says nothing is left out when every width is drawn', () => {
    const spec = halfWidthSpec(points.slice(2), { name: 'fixed-budget interval' });
    expect(JSON.stringify(spec)).not.toContain('left out');
  });
});
