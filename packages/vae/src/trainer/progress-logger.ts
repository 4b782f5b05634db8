import { ArgumentError } from '@varia/core';
import type { Callback, TrainingLog } from './callback.js';
import { showValue as show } from '../show-value.js';

/** Options of {@link ProgressLogger}. */
export interface ProgressLoggerOptions {
  /** Where lines go; default `console.log`. */
  log?: (line: string) => void;
  /** Log every N epochs (the last epoch is always logged); default 1. */
  every?: number;
  /** Digits after the decimal point; default 3. */
  digits?: number;
}

/** One line for an epoch: `epoch 3/10  loss 104.213  rec -98.100  kl 6.113  val 105.020  β 1  reparam  0.41 s`. */
export function formatEpoch(log: TrainingLog, digits = 3): string {
  const f = (v: number): string => v.toFixed(digits);
  const parts = [`epoch ${log.epoch}/${log.epochs}`, `loss ${f(log.loss)}`];
  if (log.reconstruction !== undefined) parts.push(`rec ${f(log.reconstruction)}`);
  if (log.kl !== undefined) parts.push(`kl ${f(log.kl)}`);
  if (log.valLoss !== undefined) parts.push(`val ${f(log.valLoss)}`);
  parts.push(`β ${Number(log.beta.toPrecision(4))}`);
  if (log.estimator !== undefined) parts.push(log.baseline ? `${log.estimator}/${log.baseline}` : log.estimator);
  parts.push(`${log.seconds.toFixed(2)} s`);
  return parts.join('  ');
}

/** Progress: logs one line per epoch (see {@link formatEpoch}). */
export class ProgressLogger implements Callback {
  private readonly log: (line: string) => void;
  private readonly every: number;
  private readonly digits: number;

  /** @throws ArgumentError for a `log` that is not a function or an `every`/`digits` out of range. */
  constructor(options: ProgressLoggerOptions = {}) {
    const log = options.log ?? ((line: string) => console.log(line));
    if (typeof log !== 'function')
      throw new ArgumentError('log', `ProgressLogger: "log" must be a function, got ${show(log)}`);
    const every = options.every ?? 1;
    if (!Number.isInteger(every) || every < 1)
      throw new ArgumentError('every', `ProgressLogger: "every" must be a positive integer, got ${show(every)}`);
    const digits = options.digits ?? 3;
    if (!Number.isInteger(digits) || digits < 0 || digits > 20)
      throw new ArgumentError('digits', `ProgressLogger: "digits" must be an integer in [0, 20], got ${show(digits)}`);
    this.log = log;
    this.every = every;
    this.digits = digits;
  }

  onEpochEnd(epoch: number, logs: TrainingLog): void {
    if (epoch % this.every === 0 || epoch === logs.epochs) this.log(formatEpoch(logs, this.digits));
  }
}
