import type { DataId } from '@tensorflow/tfjs-core';

/**
 * The tickets under which the addon keeps what the in-step Adam step (`DENSE_BACKWARD_ADAM_KERNEL`'s
 * `denseBackwardAdam`) learned of a kernel's new values as it wrote them — every value finite, the least non-zero
 * |w| (native/weight_facts.h) — by the tensor data they describe. A forward product whose B is that same data gives the
 * ticket to the addon's gemm, which then skips its scan of B where the addon's entry is still for exactly the bytes it
 * reads (the same bits either way).
 *
 * Keyed on the data's id: tfjs gives new data a new id (`Variable.assign` included), so a ticket can only be found for
 * the data it was made for. Every kernel that writes a tensor's data in place forgets the data's ticket before it
 * writes (`forgetWeightFacts`): the Adam kernels here are the only ones. A weak map: disposed data's tickets go
 * with it.
 *
 * @see DENSE_BACKWARD_ADAM_KERNEL in `@varia/core`
 */
const tickets = new WeakMap<DataId, number>();

/** The ticket of the facts kept for `dataId`'s current values, or 0 when there is none. */
export function weightFactsTicket(dataId: DataId): number {
  return tickets.get(dataId) ?? 0;
}

/** Keeps `ticket` (what `denseBackwardAdam` returned: a positive number, or nothing) for `dataId`'s new values. */
export function keepWeightFacts(dataId: DataId, ticket: unknown): void {
  if (typeof ticket === 'number' && ticket > 0) tickets.set(dataId, ticket);
}

/** Forgets the ticket of `dataId` (before its data is written in place). */
export function forgetWeightFacts(dataId: DataId): void {
  tickets.delete(dataId);
}
