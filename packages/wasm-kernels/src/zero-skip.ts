import type { GemmArgs } from './helper-worker.js';
import type { WasmBackendParts } from './wasm-backend.js';

/** The module's exports that skip op(A)'s zeros in XNNPACK's order (wasm/matmul.c: `unions`, `skippable`). */
export interface ZeroSkipModule {
  /**
   * Each group of 4 rows' k where one of its rows has a non-zero, into `lists`; returns their count over the groups, or
   * −1 where the rows listed (past the first 16) hold more than their share of `most` (the rest then not listed).
   */
  unions(lists: number, a: number, ais: number, aks: number, m: number, k: number, most: number): number;
  /** 1 when no bias element is −0 (bias 0: none) and B's K × N region (rows ldb apart) is finite; else 0. */
  skippable(b: number, ldb: number, k: number, n: number, bias: number): number;
}

/** A product with fewer multiply-adds runs over every k: its lists would cost about what they save. */
const MIN_MACS = 2 ** 18;
/**
 * The lists are passed where the row groups' k hold at most this fraction of the dense loop's: above it the dense
 * loop, which reads no list, is as fast (MNIST's 784-pixel rows: ~19 % non-zeros, groups of 4 rows ~40 %).
 */
const MAX_UNION_FRACTION = 0.7;
/** A product whose lists would take more bytes runs over every k (the lists are scratch in the backend's memory). */
const MAX_LIST_BYTES = 16 * 2 ** 20;

let skipped = 0;

/** How many products the module computed over their row groups' non-zeros only (in this JavaScript realm). */
export function zeroSkippedProducts(): number {
  return skipped;
}

/**
 * The `lists` argument (the last) of the module's `gemm` for the product `args` (its `lists` unused), C = op(A)·B
 * (+ bias) with op(A)(i, k) = a[i·ais + k·aks] (byte offsets): scratch the caller frees (`backend.wasm._free`) after the
 * product, or 0 — every k then — for the blocked order, where the product is small, the lists would take more than
 * 16 MiB, op(A)'s row groups are not mostly zeros (judged from the first 16 rows where those already are not),
 * skipping would not be exact (a bias element −0, or an entry of B that is not finite: 0·∞ is NaN) or the memory has no
 * room. The same bits either way.
 */
export function zeroSkipLists(module: ZeroSkipModule, backend: WasmBackendParts, args: GemmArgs): number {
  const [, a, ais, aks, b, ldb, bias, m, n, k, blocked] = args;
  if (blocked) return 0;
  const groups = Math.ceil(m / 4);
  const bytes = 4 * groups * (k + 1);
  if (m * n * k < MIN_MACS || bytes > MAX_LIST_BYTES) return 0;
  // tfjs-backend-wasm does not check its malloc: 0 is its failure
  const lists = backend.wasm._malloc(bytes);
  if (lists === 0) return 0;
  let taken = false;
  try {
    // the lists first: a dense op(A) (most products) stops them after 16 rows, where B's scan would read all of B;
    // −1 means incomplete lists, never passed on
    const most = Math.floor(MAX_UNION_FRACTION * groups * k);
    const listed = module.unions(lists, a, ais, aks, m, k, most);
    taken = listed >= 0 && listed <= most && module.skippable(b, ldb, k, n, bias) === 1;
  } finally {
    if (!taken) backend.wasm._free(lists);
  }
  if (!taken) return 0;
  skipped++;
  return lists;
}
