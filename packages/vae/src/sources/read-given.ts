import type { Matrix } from '@varia/core';
import { checkBlock, disposeGiven, type RowBlock, unwrapBlock } from './block-rows.js';
import type { CovariateReader } from './source-covariates.js';
import { readField } from './source-fields.js';

/** What one `rows(indices)` result or stream block gave, read to the host. */
export interface GivenRows {
  /** Its rows, checked. */
  block: RowBlock;
  /** The covariate rows it carried, validated (when the epoch reads covariates and it carries any). */
  covariates: Matrix | undefined;
  /** The rows of each field asked for, by name, validated. */
  fields: Record<string, Float32Array>;
}

/**
 * Reads what a callback returned or a stream yielded: its rows (`width` columns, `rows` of them when given), the
 * covariate rows it carries (by `read`, when given) and the rows of each of `fields` — then frees every tensor in it,
 * whether it was used or refused. `what` names it in messages; `rowAt(k)` is the row of its row k in the whole data.
 * @throws the errors of `checkBlock`, of `read` and of `readField`.
 */
export function readGiven(
  item: unknown,
  options: {
    width: number;
    what: string;
    rows?: number | undefined;
    rowAt: (k: number) => number;
    read?: CovariateReader | undefined;
    fields: readonly (readonly [name: string, width: number])[];
  },
): GivenRows {
  const { width, what, rows, rowAt, read } = options;
  try {
    const given = unwrapBlock(item);
    const block = checkBlock(given.block, width, what, rows, rowAt);
    const covariates = read?.(given.covariates, block.rows, rowAt, what);
    const fields: Record<string, Float32Array> = {};
    for (const [name, w] of options.fields) fields[name] = readField(item, name, w, block.rows, what, rowAt);
    return { block, covariates, fields };
  } finally {
    disposeGiven(item); // read to the host (or refused): tensors in it are freed either way
  }
}
