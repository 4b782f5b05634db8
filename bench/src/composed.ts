import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPOSED_MODELS, type ComposedModel, type ComposedName } from './composed-table.js';

/** One composed model's run: the command, its wall time and the records it printed, or why it has none. */
export interface ComposedResult {
  name: string;
  description: string;
  /** The command line, environment first, as a user would type it at the repository root. */
  command: string;
  size: 'full' | 'quick';
  seconds: number;
  /** The machine-readable lines it printed, in order. */
  results?: Record<string, unknown>[];
  skipped?: string;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The machine-readable records in a run's stdout: each line `RESULT {json}` (the examples) or a line that is a JSON
 * object (the bench scripts); other lines are the human output and are ignored.
 */
export function parseResultLines(stdout: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const json = line.startsWith('RESULT ') ? line.slice(7) : line.startsWith('{') ? line : undefined;
    if (json === undefined) continue;
    try {
      const value: unknown = JSON.parse(json);
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        records.push(value as Record<string, unknown>);
    } catch {
      // a human line that happens to start with '{'
    }
  }
  return records;
}

/** `VAR=value … node script args…`, the command a user runs for the same figures. */
export function composedCommand(model: ComposedModel, quick: boolean): string {
  const size = quick ? model.quick : model.full;
  const env = Object.entries(size.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return [...env, 'node', model.script, ...(size.args ?? [])].join(' ');
}

/**
 * Runs the selected composed models one after another, each in its own Node process (after building the examples
 * once, so that `examples/dist` matches the sources); a failure is recorded as `skipped` and the rest still run.
 */
export function runComposed(
  names: ReadonlySet<ComposedName>,
  quick: boolean,
  log: (msg: string) => void,
  timeoutMs: number,
): ComposedResult[] {
  const selected = COMPOSED_MODELS.filter((m) => names.has(m.name));
  let buildError: string | undefined;
  if (selected.some((m) => m.script.startsWith('examples/'))) {
    log('composed: building @varia/examples');
    const b = spawnSync('pnpm', ['--filter', '@varia/examples', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0)
      buildError = `pnpm --filter @varia/examples build failed (${b.status ?? b.signal}): ${lastLines(b.stderr || b.stdout)}`;
  }
  return selected.map((model: ComposedModel): ComposedResult => {
    const size = quick ? model.quick : model.full;
    const base = {
      name: model.name,
      description: model.description,
      command: composedCommand(model, quick),
      size: quick ? ('quick' as const) : ('full' as const),
    };
    const script = join(ROOT, model.script);
    if (buildError && model.script.startsWith('examples/')) return { ...base, seconds: 0, skipped: buildError };
    if (!existsSync(script)) return { ...base, seconds: 0, skipped: `${model.script} is not built` };
    log(`composed: ${base.command}`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [script, ...(size.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, ...(size.env ?? {}) },
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const seconds = (Date.now() - started) / 1000;
    if (r.status !== 0)
      return { ...base, seconds, skipped: `exit ${r.status ?? r.signal}: ${lastLines(r.stderr || r.stdout)}` };
    const results = parseResultLines(r.stdout);
    if (results.length === 0) return { ...base, seconds, skipped: 'printed no RESULT line' };
    return { ...base, seconds, results };
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-2).join(' | ');
}

/** A number to 4 significant digits (integers as they are), other values as JSON. */
function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The printed table of the composed group: a line per model (wall time, command), then its records' figures. */
export function formatComposed(results: readonly ComposedResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`  ${r.name.padEnd(18)} ${r.seconds.toFixed(0).padStart(5)} s  ${r.command}`);
    if (r.skipped) {
      lines.push(`    skipped: ${r.skipped}`);
      continue;
    }
    for (const record of r.results ?? []) {
      const fields = Object.entries(record)
        // the figures; nested objects and long descriptions stay in the JSON
        .filter(([, v]) => (typeof v !== 'object' || v === null) && !(typeof v === 'string' && v.length > 40))
        .map(([k, v]) => `${k} ${formatValue(v)}`);
      lines.push(`    ${fields.join(', ')}`);
    }
  }
  return lines;
}
