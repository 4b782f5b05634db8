import type * as tf from '@tensorflow/tfjs-core';

/**
 * Anything that owns trainable variables: dense layers, MLPs, heads, whole models.
 * Variable names are stable paths (`encoder/0/kernel`) used by save/load and checkpoints.
 */
export interface Module {
  /** The trainable variables, by stable name (prefixed with `prefix` and a slash when given). */
  namedVariables(prefix?: string): Map<string, tf.Variable>;
  /** Frees all variables. The module must not be used afterwards. */
  dispose(): void;
}

/** Joins a prefix and a name with `/` (no leading slash for an empty prefix). */
export function scopedName(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

/** All variables of several modules, merged (names must not collide). */
export function collectVariables(entries: [string, Module | undefined][], prefix?: string): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [name, m] of entries) {
    if (!m) continue;
    for (const [k, v] of m.namedVariables(scopedName(prefix, name))) out.set(k, v);
  }
  return out;
}
