import { describe, expect, it } from 'vitest';
import { againstFastest, interleavedRounds, median, pairRound } from './rounds.js';

describe('median', () => {
  it('takes the middle value, the mean of the middle two, and skips missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([undefined, 5, Number.NaN])).toBe(5);
    expect(median([])).toBeUndefined();
  });
});

describe('interleavedRounds', () => {
  it('alternates varia and torch and reports the per-pair ratios and their median', async () => {
    const order: string[] = [];
    const speeds = [100, 300, 200];
    let v = 1;
    const result = await interleavedRounds(
      'examples_per_sec',
      3,
      {
        varia: { examples_per_sec: 150, cpu_seconds: 1, examples: 150 },
        torch: { examples_per_sec: 100, cpu_seconds: 1.5, examples: 150 },
      },
      async () => {
        order.push('varia');
        return { examples_per_sec: speeds[v++]!, cpu_seconds: 1, examples: 100 };
      },
      () => {
        order.push('torch');
        return { examples_per_sec: 100, cpu_seconds: 2, examples: 100 };
      },
    );
    expect(order).toEqual(['varia', 'torch', 'varia', 'torch']);
    expect(result.rounds.map((r) => r.speedup)).toEqual([1.5, 3, 2]);
    expect(result.median).toBe(2);
    expect(result.rounds.map((r) => r.speedup_cpu)).toEqual([1.5, 2, 2]);
    expect(result.median_cpu).toBe(2);
  });

  it('for a time metric, the ratio is torch seconds ÷ varia seconds', async () => {
    const result = await interleavedRounds(
      'seconds',
      1,
      { varia: { seconds: 2 }, torch: { seconds: 3 } },
      async () => ({}),
      () => ({}),
    );
    expect(result.median).toBe(1.5);
  });
});

describe('againstFastest', () => {
  it("divides varia's median speed by PyTorch's fastest round, for rates and for seconds", () => {
    const rates = [
      [400, 100],
      [420, 260],
      [380, 105],
    ].map(([v, t], i) => pairRound('examples_per_sec', i, { examples_per_sec: v }, { examples_per_sec: t }));
    // the median of the per-pair ratios (4.0) rests on PyTorch's slow rounds; against its fastest: 400 / 260
    expect(againstFastest('examples_per_sec', rates)).toBeCloseTo(400 / 260, 12);
    const seconds = [
      [2, 6],
      [3, 5],
      [2.5, 9],
    ].map(([v, t], i) => pairRound('seconds', i, { seconds: v }, { seconds: t }));
    expect(againstFastest('seconds', seconds)).toBeCloseTo(5 / 2.5, 12);
    expect(againstFastest('examples_per_sec', [])).toBeUndefined();
    expect(againstFastest('seconds', [pairRound('seconds', 0, { seconds: 1 }, {})])).toBeUndefined();
  });
});
