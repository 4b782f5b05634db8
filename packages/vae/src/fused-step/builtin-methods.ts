import { Dense, MLP } from '@varia/layers';

/**
 * The methods whose math a fused step replays. A model that computes its forward pass with another function — an
 * override in a subclass, or a method assigned on the instance — must take the taped path, which calls that function;
 * replaying the built-in math instead would train another model than the one the user wrote, silently.
 */
const replayable = new WeakSet<object>();

/** Marks `method` as one whose math the fused step replays (the VAE class marks its `variationalInputs`). */
export function markReplayable(method: object): void {
  replayable.add(method);
}

/** Whether `method` is a marked built-in method. */
export function isReplayable(method: unknown): boolean {
  return typeof method === 'function' && replayable.has(method);
}

/** Whether `net` is exactly the built-in MLP of exactly built-in Dense layers, with no method replaced on an instance. */
export function isBuiltinMlp(net: unknown): net is MLP {
  return (
    net instanceof MLP &&
    net.apply === MLP.prototype.apply &&
    net.layers.every((layer) => layer instanceof Dense && layer.apply === Dense.prototype.apply)
  );
}
