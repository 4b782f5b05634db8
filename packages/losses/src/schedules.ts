import { ArgumentError } from '@varia/core';

/** A KL weight schedule: the β multiplier for a 0-based step or epoch t. */
export type KLSchedule = (t: number) => number;

function checkPositive(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(name, `"${name}" must be a positive integer, got ${v}`);
}

/**
 * Linear KL warm-up (Bowman et al. 2016; Sønderby et al. 2016): β(t) = min(1, (t + 1) / N), reaching 1 at t = N − 1.
 * Apply it per epoch or per step: t counts whichever you pass.
 */
export function linearWarmup(n: number): KLSchedule {
  checkPositive('n', n);
  return (t) => Math.min(1, (t + 1) / n);
}

/**
 * Cyclical annealing (Fu et al. 2019): the period of `period` steps is split into a ramp of `rampFraction·period`
 * steps where β rises linearly from 0 to 1, then β = 1 until the period ends; then it repeats.
 * β(t) = min(1, (t mod period) / (rampFraction·period)).
 */
export function cyclicalAnnealing(period: number, rampFraction = 0.5): KLSchedule {
  checkPositive('period', period);
  if (!(rampFraction > 0 && rampFraction <= 1)) {
    throw new ArgumentError('rampFraction', `"rampFraction" must be in (0, 1], got ${rampFraction}`);
  }
  const ramp = rampFraction * period;
  return (t) => Math.min(1, (t % period) / ramp);
}

/** A constant β. */
export function constantBeta(beta = 1): KLSchedule {
  return () => beta;
}
