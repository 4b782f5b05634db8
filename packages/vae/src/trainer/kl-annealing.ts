import { ArgumentError } from '@varia/core';
import { type KLSchedule, linearWarmup } from '@varia/losses';
import type { Callback, TrainingPlan } from './callback.js';
import { showValue as show } from '../show-value.js';

/** Options of {@link KLAnnealing}. */
export interface KLAnnealingOptions {
  /** A per-step factor schedule (global 0-based step → factor ≥ 0), e.g. `linearWarmup(N)` or `cyclicalAnnealing`. */
  schedule?: KLSchedule;
  /** A linear warm-up over this many epochs N: epoch e (1-based) gets the factor `linearWarmup(N)(e − 1)` = min(1, e/N). */
  epochs?: number;
  /** The option name reported when the schedule misbehaves; default `'klSchedule'`. */
  argument?: string;
}

/** Steps checked ahead of training (the schedule is a pure function of the step). */
const MAX_CHECKED_STEPS = 2 ** 24;

/**
 * KL warm-up / annealing (Bowman et al. 2016; Fu et al. 2019 for cyclical): the KL weight of global step t in epoch e
 * is
 *
 * β_t = β · s(t) · w(e − 1),
 *
 * with s the per-step schedule and w a linear warm-up over epochs (each 1 when not given). Every step's factor is
 * checked before the first step (up to 2²⁴ steps when the epoch length is known), so a schedule that returns NaN or
 * a negative value fails before training changes anything.
 */
export class KLAnnealing implements Callback {
  private readonly schedule: KLSchedule | undefined;
  private readonly epochSchedule: KLSchedule | undefined;
  private readonly argument: string;

  /** @throws ArgumentError for a schedule that is not a function or a warm-up that is not a positive integer. */
  constructor(options: KLAnnealingOptions) {
    if (options.schedule !== undefined && typeof options.schedule !== 'function')
      throw new ArgumentError('schedule', `KLAnnealing: "schedule" must be a function, got ${show(options.schedule)}`);
    if (options.epochs !== undefined && !(Number.isInteger(options.epochs) && options.epochs >= 1))
      throw new ArgumentError(
        'epochs',
        `KLAnnealing: "epochs" must be a positive integer, got ${show(options.epochs)}`,
      );
    this.schedule = options.schedule;
    this.epochSchedule = options.epochs !== undefined ? linearWarmup(options.epochs) : undefined;
    this.argument = options.argument ?? 'klSchedule';
  }

  adjustBeta(beta: number, step: number, epoch: number): number {
    const factor = this.schedule ? this.schedule(step) : 1;
    if (typeof factor !== 'number' || !(factor >= 0) || !Number.isFinite(factor)) {
      throw new ArgumentError(
        this.argument,
        `fit: "${this.argument}" returned ${show(factor)} for step ${step}; it must return a finite number >= 0`,
      );
    }
    return beta * factor * (this.epochSchedule ? this.epochSchedule(epoch - 1) : 1);
  }

  /** Checks the factor of every planned step (up to 2²⁴ steps; all when the epoch length is unknown: none). */
  validate(plan: TrainingPlan): void {
    const batches = plan.stepsPerEpoch;
    if (batches === undefined) return;
    for (let epoch = 1, step = 0; epoch <= plan.epochs && step < MAX_CHECKED_STEPS; epoch++, step += batches)
      for (let b = 0; b < batches; b++) this.adjustBeta(1, step + b, epoch);
  }
}
