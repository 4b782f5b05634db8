/** The version of `@varia/vae`, written into saved models. */
export const VERSION = '0.1.0';

/** The save-format version this build writes and reads. */
export const FORMAT_VERSION = 2;
