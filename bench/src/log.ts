/** Progress to stderr, with the time of day (the table goes to stdout). */
export const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};
