/** 2⁻³². */
const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/**
 * The starting state of the generator behind `tf.randomNormal(shape, mean, stdDev, dtype, seed)` (TensorFlow.js 4.x):
 * seedrandom's Alea seeded with `String(seed)` through Mash — or with `String(Math.random())` for a seed of 0 or none,
 * as tfjs does. Alea's three lags sᵢ are multiples of 2⁻³² in [0, 1), returned as the integers kᵢ = sᵢ·2³² (exact);
 * its carry starts at 1. From this state the generator is the multiply-with-carry recurrence
 * x = 2091639·k₀ + c, (k₀, k₁, k₂) ← (k₁, k₂, x mod 2³²), c ← ⌊x / 2³²⌋, uniform u = k₂·2⁻³² — exact in integers, and
 * exactly what Alea computes in doubles (2091639·k₀ + c < 2⁵³).
 * @returns [k₀, k₁, k₂], integers in [0, 2³²).
 */
export function tfjsAleaState(seed: number | undefined): [number, number, number] {
  const key = String(seed ? seed : Math.random());
  // Mash: one state n for all six calls
  let n = 0xefc8249d;
  const mash = (data: string): number => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * TWO_TO_MINUS_32;
  };
  let s0 = mash(' ');
  let s1 = mash(' ');
  let s2 = mash(' ');
  s0 -= mash(key);
  if (s0 < 0) s0 += 1;
  s1 -= mash(key);
  if (s1 < 0) s1 += 1;
  s2 -= mash(key);
  if (s2 < 0) s2 += 1;
  return [s0 * 0x100000000, s1 * 0x100000000, s2 * 0x100000000];
}
