/**
 * What tells one machine's CPU from another's in the results: the model name alone does not (`AMD EPYC` named both
 * the Zen 5 of sessions 11–17 and the Zen 4 of session 18, whose FMA throughput is half as high; bench/README.md).
 * So the results record the CPU's family, model and stepping (`/proc/cpuinfo`) and its core's caches (sysfs). Pure
 * parsers, and one function that reads this machine's files; absent fields where a file cannot be read (not Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/** The core's data caches, in bytes. */
export interface CpuCaches {
  l1d_bytes?: number;
  l2_bytes?: number;
  l3_bytes?: number;
}

/** A CPU's identity beyond its model name. */
export interface CpuIdentity {
  /** `vendor_id`, e.g. `AuthenticAMD`. */
  vendor?: string;
  /** `cpu family`, e.g. 25 (AMD Zen 3 and Zen 4) or 26 (Zen 5). */
  family?: number;
  model?: number;
  stepping?: number;
  caches: CpuCaches;
}

const CPUINFO_FIELDS = { vendor_id: 'vendor', 'cpu family': 'family', model: 'model', stepping: 'stepping' } as const;

/** The first processor's `vendor_id`, `cpu family`, `model` and `stepping` in `/proc/cpuinfo`'s text. */
export function parseCpuinfo(text: string): Omit<CpuIdentity, 'caches'> {
  const out: Omit<CpuIdentity, 'caches'> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(out).length > 0) break; // the first processor's block ends
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim() as keyof typeof CPUINFO_FIELDS;
    const field = Object.hasOwn(CPUINFO_FIELDS, key) ? CPUINFO_FIELDS[key] : undefined;
    if (field === undefined) continue;
    const value = line.slice(colon + 1).trim();
    if (field === 'vendor') out.vendor = value;
    else if (/^\d+$/.test(value)) out[field] = Number(value);
  }
  return out;
}

/** A sysfs cache size (`32K`, `1024K`, `2M`, or plain bytes) in bytes; undefined for anything else. */
export function parseCacheSize(text: string): number | undefined {
  const m = /^(\d+)\s*([KMG]?)$/i.exec(text.trim());
  if (!m) return undefined;
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * scale;
}

/** One `cacheN/indexK` directory's files: `level`, `type`, `size`. */
export interface CacheIndex {
  level?: string;
  type?: string;
  size?: string;
}

/** The L1 data, L2 and L3 sizes among a core's cache indexes (the first of each; instruction caches left out). */
export function cachesOf(indexes: readonly CacheIndex[]): CpuCaches {
  const out: CpuCaches = {};
  for (const ix of indexes) {
    const level = ix.level?.trim();
    const type = ix.type?.trim();
    const size = ix.size === undefined ? undefined : parseCacheSize(ix.size);
    if (size === undefined || type === 'Instruction') continue;
    if (level === '1' && type === 'Data') out.l1d_bytes ??= size;
    else if (level === '2') out.l2_bytes ??= size;
    else if (level === '3') out.l3_bytes ??= size;
  }
  return out;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** This machine's CPU identity (CPU 0's caches), from `/proc/cpuinfo` and `/sys/devices/system/cpu/cpu0/cache`. */
export function hostCpuIdentity(): CpuIdentity {
  const base = '/sys/devices/system/cpu/cpu0/cache';
  let names: string[] = [];
  try {
    names = readdirSync(base).filter((n) => /^index\d+$/.test(n));
  } catch {
    // no sysfs: no caches
  }
  const indexes = names.map((n) => ({
    level: readText(join(base, n, 'level')),
    type: readText(join(base, n, 'type')),
    size: readText(join(base, n, 'size')),
  }));
  return { ...parseCpuinfo(readText('/proc/cpuinfo') ?? ''), caches: cachesOf(indexes) };
}

function bytesText(bytes: number): string {
  return bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MiB` : `${bytes / 1024} KiB`;
}

/** `name (family F, model M; L1d …, L2 …, L3 …)`, leaving out what is unknown; the name alone when nothing is. */
export function describeCpu(name: string, id: CpuIdentity | undefined): string {
  if (!id) return name;
  const parts: string[] = [];
  const ids = [
    id.family !== undefined ? `family ${id.family}` : undefined,
    id.model !== undefined ? `model ${id.model}` : undefined,
  ].filter((s) => s !== undefined);
  if (ids.length > 0) parts.push(ids.join(', '));
  const c = id.caches;
  const caches = [
    c.l1d_bytes !== undefined ? `L1d ${bytesText(c.l1d_bytes)}` : undefined,
    c.l2_bytes !== undefined ? `L2 ${bytesText(c.l2_bytes)}` : undefined,
    c.l3_bytes !== undefined ? `L3 ${bytesText(c.l3_bytes)}` : undefined,
  ].filter((s) => s !== undefined);
  if (caches.length > 0) parts.push(caches.join(', '));
  return parts.length > 0 ? `${name} (${parts.join('; ')})` : name;
}

/** What every results file says of the CPU: its model name, its identity and the cores Node may use. */
export function hostCpu(): { cpu: string; cpu_identity: CpuIdentity; cores: number } {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cpu_identity: hostCpuIdentity(), cores: os.availableParallelism() };
}
