/**
 * A macrotask yield: `setImmediate` where it exists (Node: ~0.08 ms; `setTimeout(0)` is clamped to ≥ 1 ms, measured
 * 1.25 ms/yield, i.e. ~5 % of training wall time at one yield per 25 ms — see bench/README.md), else `setTimeout(0)`.
 * Both let timers, I/O and abort signals through.
 */
const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise<void>((resolve) => setImmediate(resolve))
    : () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Yields to the event loop (so abort signals and UI events get through) at most every ~25 ms. */
export function makeYielder(): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last < 25) return;
    await yieldToEventLoop();
    last = Date.now();
  };
}
