/**
 * PyTorch's variants of one workload (`python/torch_vae.py` with `sparse`): its dense computation and its
 * `torch.sparse` one, each timed in the same run; the figures are the faster one's. Pure functions over the script's
 * output, no timing.
 */
import type { BaselineResult } from './report.js';
import type { TorchResult } from './torch.js';

/** The variants' training losses may differ by this much, relatively (float32 rounding over a few epochs). */
export const VARIANT_LOSS_TOLERANCE = 1e-3;

/**
 * Largest |loss − loss'| / |loss'| between the variants' losses (those named in `keys`, default all); undefined
 * without two losses (encode).
 */
export function variantLossSpread(r: TorchResult, keys?: readonly string[]): number | undefined {
  const losses = Object.entries(r.variants ?? {})
    .filter(([k]) => keys === undefined || keys.includes(k))
    .map(([, v]) => v.loss)
    .filter((l): l is number => l !== undefined);
  if (losses.length < 2) return undefined;
  const scale = Math.min(...losses.map(Math.abs));
  return (Math.max(...losses) - Math.min(...losses)) / scale;
}

/**
 * Checks what the script reported: the figures are those of the variant it names, and that variant is the faster
 * by the rule the script states (CPU time on one thread, wall time otherwise), and the variants' losses agree within
 * each of `lossGroups` (default: all of them; openblas-core.ts passes one group per OpenBLAS core, whose different
 * kernels round differently: the Poisson model's losses after 2 epochs differed by 1.1–1.5·10⁻³ between Haswell and
 * SkylakeX); throws when not (a bench bug, not a measurement). Returns the note and the fields the baseline records.
 */
export function torchVariants(
  r: TorchResult,
  lossGroups: readonly (readonly string[])[] = [Object.keys(r.variants ?? {})],
): Pick<BaselineResult, 'variant' | 'variants' | 'variant_loss_spread'> & {
  note: string;
} {
  if (!r.variants) return { note: '' };
  const entries = Object.entries(r.variants);
  const chosen = r.variant === undefined ? undefined : r.variants[r.variant];
  if (!chosen || chosen.seconds !== r.seconds || chosen.cpu_seconds !== r.cpu_seconds)
    throw new Error(`torch_vae.py: the figures are not those of the variant it names (${String(r.variant)})`);
  const key = (v: { seconds: number; cpu_seconds: number }): number => (r.threads === 1 ? v.cpu_seconds : v.seconds);
  if (entries.some(([, v]) => key(v) < key(chosen)))
    throw new Error(`torch_vae.py: ${r.variant} is reported as the faster variant but is not`);
  const spreads = lossGroups.map((keys) => variantLossSpread(r, keys)).filter((s) => s !== undefined);
  const spread = spreads.length === 0 ? undefined : Math.max(...spreads); // NaN if any is
  if (spread !== undefined && !(spread <= VARIANT_LOSS_TOLERANCE))
    throw new Error(
      `torch_vae.py: the variants' losses differ by ${spread.toExponential(2)} (relative), more than ${VARIANT_LOSS_TOLERANCE}: they did not train the same model`,
    );
  const ms = (s: number): string => `${(s * 1e3).toFixed(1)} ms`;
  const shown = entries.map(
    ([k, v]) =>
      `${k} ${ms(v.seconds)} (CPU ${ms(v.cpu_seconds)}${v.loss === undefined ? '' : `, loss ${v.loss.toFixed(4)}`}${v.minor_faults === undefined ? '' : `, ${v.minor_faults} page faults`})`,
  );
  return {
    variant: r.variant,
    variants: r.variants,
    ...(spread !== undefined ? { variant_loss_spread: spread } : {}),
    note: `; the faster (${r.threads === 1 ? 'CPU time' : 'wall time'}) of ${shown.join(', ')}`,
  };
}
