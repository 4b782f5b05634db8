import { ArgumentError } from '@varia/core';
import type { Constraint } from '../constraints.js';
import type { Bijector } from './bijector.js';
import { Chain, IndependentBijector } from './composite.js';
import { Affine, Exp, Identity, Sigmoid } from './elementwise.js';
import { CorrCholesky } from './matrix.js';
import { StickBreaking } from './stick-breaking.js';

/**
 * A bijector from unconstrained reals onto `constraint` (torch's `biject_to`, TFP's default event-space bijector):
 * optimize an unconstrained parameter θ and use `bijectorFor(c).forward(θ)` as the constrained value.
 *
 * | constraint | bijector |
 * |---|---|
 * | real | Identity |
 * | positive, nonNegative | Exp |
 * | greaterThan(a) | Chain([Exp, Affine(shift a)]) |
 * | unitInterval, openUnitInterval | Sigmoid |
 * | simplex | StickBreaking |
 * | corrCholesky | CorrCholesky |
 * | independent(c, k) | IndependentBijector(bijectorFor(c), k) |
 *
 * @throws ArgumentError for a constraint with no registered bijector (e.g. discrete supports).
 */
export function bijectorFor(constraint: Constraint): Bijector {
  return fromName(constraint.name);
}

function fromName(name: string): Bijector {
  const indep = /^independent\((.+), (\d+)\)$/.exec(name);
  if (indep) {
    const inner = fromName(indep[1]!);
    const k = Number(indep[2]);
    return k === 0 ? inner : new IndependentBijector(inner, k);
  }
  const gt = /^greaterThan\((.+)\)$/.exec(name);
  if (gt) return new Chain([new Exp(), new Affine({ shift: Number(gt[1]) })]);
  switch (name) {
    case 'real':
      return new Identity();
    case 'positive':
    case 'nonNegative':
      return new Exp();
    case 'unitInterval':
    case 'openUnitInterval':
      return new Sigmoid();
    case 'simplex':
      return new StickBreaking();
    case 'corrCholesky':
      return new CorrCholesky();
    default:
      throw new ArgumentError('constraint', `bijectorFor: no bijector onto the constraint "${name}"`);
  }
}
