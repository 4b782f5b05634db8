/** The option-name checks moved to `@varia/core` (shared with `@varia/datasets`); re-exported for this package's modules. */
export { assertOptions, closestName } from '@varia/core';
