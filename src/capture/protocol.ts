// The logging protocol (docs/PROTOCOL.md): `mlmeta run` gives its command a fresh private
// folder named by MLMETA_RUN_DIR; anything in the command (Python's `mlmeta` module, R,
// Julia, a shell `echo >>`) appends JSON lines to `*.jsonl` files there. After the command,
// run reads them back here and folds them into its records (api/run-log.ts).
//
// The reader trusts nothing it reads: a torn last line (a crash mid-write) or a bad line is
// skipped with a warning, never a corrupt record; files are read in chunks, so a huge log
// costs memory for its points only, and past MAX_POINTS the rest is dropped with a warning.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ioError } from '../errors.js';
import { MAX_TIME, type MetricPoint } from '../records/history.js';
import type { Json } from '../records/yaml.js';
import type { Mapping } from './values.js';

export const RUN_DIR_ENV = 'MLMETA_RUN_DIR';
/** Points read per run, all metrics together; later ones are dropped (memory). */
export const MAX_POINTS = 3_000_000;
/**
 * Points kept per metric: a series object must stay under the reader's 16 MiB (records/yaml.ts
 * MAX_YAML_BYTES) at up to ~60 bytes a point. A longer curve is thinned evenly, keeping its
 * first and last points (the last is the final value).
 */
export const MAX_SERIES_POINTS = 250_000;
/** A longer line is not a protocol line (a param value that big does not belong in a record). */
const MAX_LINE = 1 << 20;
const CHUNK = 1 << 20;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface Logged {
  /** params as logged, dotted names nested (`opt.lr` → {opt: {lr}}); a later value wins */
  params: Mapping;
  /** each metric's points, in the order read */
  metrics: Record<string, MetricPoint[]>;
  /** paths (absolute, as the command logged them) or dataset refs */
  inputs: string[];
  outputs: string[];
  tags: Record<string, string>;
  warnings: string[];
}

/** The package's `python/` folder (next to dist/ and bin/), put on the command's PYTHONPATH. */
export function pythonDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'python');
}

/** A fresh folder for one command (mkdtemp: mode 0700, outside the work tree), and the env that names it. */
export function openRunDir(base: NodeJS.ProcessEnv = process.env): { dir: string; env: NodeJS.ProcessEnv; remove: () => void } {
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-run-'));
  } catch (e) {
    throw ioError(e, 'cannot make the folder for logged values');
  }
  const py = pythonDir();
  // Appended: a project's own PYTHONPATH entries keep their precedence.
  const pythonPath = base.PYTHONPATH ? `${base.PYTHONPATH}${path.delimiter}${py}` : py;
  return {
    dir,
    env: { ...base, [RUN_DIR_ENV]: dir, PYTHONPATH: pythonPath },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Metric, param and tag names: printable, ≤ 200 characters, no empty dotted segment. */
export function checkLoggedName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new Error(`${what} name ${JSON.stringify(name)?.slice(0, 80)} is not a printable string of 1–200 characters`);
  }
  const segs = name.split('.');
  if (segs.some((s) => s === '' || UNSAFE_KEYS.has(s))) throw new Error(`${what} name ${JSON.stringify(name)} has an empty or reserved dotted segment`);
  if (segs.length > 16) throw new Error(`${what} name ${JSON.stringify(name)} has more than 16 dotted segments`);
  return name;
}

function metricValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  throw new Error(`value ${JSON.stringify(v)?.slice(0, 40)} is not a number (or "nan", "inf", "-inf")`);
}

function stepOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`step ${JSON.stringify(v)} is not a whole number ≥ 0`);
  return v;
}

function timeOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_TIME) throw new Error(`time ${JSON.stringify(v)} is not ms since the epoch`);
  return v;
}

function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Set `a.b.c` in a nested mapping; a value where a mapping is needed is replaced (a later log wins). */
export function setDotted(into: Mapping, name: string, value: Json): void {
  const segs = name.split('.');
  let node = into;
  for (const s of segs.slice(0, -1)) {
    const next = Object.hasOwn(node, s) ? node[s] : undefined;
    node = isMapping(next) ? next : (node[s] = {});
  }
  node[segs[segs.length - 1]!] = value;
}

function checkJson(v: unknown, where: string, depth = 0): void {
  if (depth > 32) throw new Error(`${where} is nested too deeply`);
  if (Array.isArray(v)) v.forEach((x, i) => checkJson(x, `${where}[${i}]`, depth + 1));
  else if (isMapping(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (UNSAFE_KEYS.has(k)) throw new Error(`${where}: ${JSON.stringify(k)} is not allowed as a key`);
      checkJson(x, `${where}.${k}`, depth + 1);
    }
  }
}

/** Reads lines one at a time into a Logged; `line` throws a plain Error for a bad line. */
// {"metric":"NAME","value":V,"step":N,"time":T} with NAME free of escapes and quotes
const FAST_METRIC = /^\{"metric":"([^"\\\u0000-\u001f]{1,200})","value":(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|"nan"|"inf"|"-inf"),"step":(\d{1,15}),"time":(\d{1,15})\}$/;

class Folder {
  readonly logged: Logged = { params: {}, metrics: {}, inputs: [], outputs: [], tags: {}, warnings: [] };
  private points = 0;
  private dropped = 0;
  private nextStep = new Map<string, number>();

  private point(name: string, value: unknown, step: number | undefined, time: number | undefined): void {
    if (!this.names.has(name)) this.names.add(checkLoggedName(name, 'metric'));
    const v = metricValue(value);
    if (this.points >= MAX_POINTS) {
      this.dropped++;
      return;
    }
    // No step: the metric's next one (one past the highest seen), as a counter would give.
    const s = step ?? this.nextStep.get(name) ?? 0;
    this.nextStep.set(name, Math.max(this.nextStep.get(name) ?? 0, s + 1));
    (this.logged.metrics[name] ??= []).push(time === undefined ? { step: s, value: v } : { step: s, value: v, time });
    this.points++;
  }

  private names = new Set<string>();

  line(text: string): void {
    // The shape the Python module writes for every point, parsed without JSON.parse's
    // object (10^5 points: a third of the time, a fraction of the garbage). Anything else,
    // or anything odd in it, takes the general path below.
    const m = FAST_METRIC.exec(text);
    if (m) {
      const value = m[2]!.charCodeAt(0) === 34 ? metricValue(m[2]!.slice(1, -1)) : Number(m[2]);
      const name = m[1]!;
      if (!Number.isNaN(value) || m[2] === '"nan"') {
        if (!this.names.has(name)) this.names.add(checkLoggedName(name, 'metric'));
        return this.point(name, value, Number(m[3]), Number(m[4]));
      }
    }
    const o: unknown = JSON.parse(text);
    if (!isMapping(o)) throw new Error('not a JSON object');
    const keys = ['param', 'params', 'metric', 'metrics', 'input', 'output', 'tag'].filter((k) => Object.hasOwn(o, k));
    if (keys.length !== 1) throw new Error('needs exactly one of param, params, metric, metrics, input, output, tag');
    const step = stepOf(o.step);
    const time = timeOf(o.time);
    switch (keys[0]) {
      case 'param': {
        const name = checkLoggedName(o.param, 'param');
        if (!Object.hasOwn(o, 'value')) throw new Error('a param needs a value');
        checkJson(o.value, `param ${name}`);
        setDotted(this.logged.params, name, o.value as Json);
        return;
      }
      case 'params':
        if (!isMapping(o.params)) throw new Error('params is not an object');
        checkJson(o.params, 'params');
        for (const [k, v] of Object.entries(o.params)) setDotted(this.logged.params, checkLoggedName(k, 'param'), v);
        return;
      case 'metric':
        this.point(o.metric as string, o.value, step, time);
        return;
      case 'metrics':
        if (!isMapping(o.metrics)) throw new Error('metrics is not an object');
        // check the whole line first: a bad value drops the line, not half of it
        for (const [k, v] of Object.entries(o.metrics)) (checkLoggedName(k, 'metric'), metricValue(v));
        for (const [k, v] of Object.entries(o.metrics)) this.point(k, v, step, time);
        return;
      case 'input':
      case 'output': {
        const p = o[keys[0]];
        if (typeof p !== 'string' || p === '' || p.includes('\0')) throw new Error(`${keys[0]} is not a path`);
        (keys[0] === 'input' ? this.logged.inputs : this.logged.outputs).push(p);
        return;
      }
      case 'tag': {
        const name = checkLoggedName(o.tag, 'tag');
        if (typeof o.value !== 'string') throw new Error(`tag ${name}: value is not a string`);
        this.logged.tags[name] = o.value;
        return;
      }
    }
  }

  finish(): Logged {
    if (this.dropped) this.logged.warnings.push(`${this.dropped} logged metric points past the first ${MAX_POINTS} were not recorded`);
    for (const [name, pts] of Object.entries(this.logged.metrics)) {
      if (pts.length <= MAX_SERIES_POINTS) continue;
      const sorted = [...pts].sort((a, b) => a.step - b.step || (a.time ?? 0) - (b.time ?? 0));
      const k = MAX_SERIES_POINTS - 1;
      this.logged.metrics[name] = Array.from({ length: MAX_SERIES_POINTS }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / k)]!);
      this.logged.warnings.push(`metric ${name}: ${pts.length} points logged; ${MAX_SERIES_POINTS} kept, evenly spaced (the first and the last included)`);
    }
    return this.logged;
  }
}

/** Read one file in chunks, handing each complete line to `f`; a last line without '\n' is torn. */
function readLines(file: string, name: string, f: Folder, warn: (m: string) => void): void {
  let fd: number;
  try {
    // O_NOFOLLOW: a link planted in the folder is not followed into some other file.
    // O_NONBLOCK: opening a FIFO planted there does not wait forever for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    warn(`${name}: not read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return warn(`${name}: not a regular file; not read`);
    // Only what was there when the command ended: a child it left behind may still be
    // appending, and chasing a file that grows faster than it is read never ends.
    let left = stat.size;
    const buf = Buffer.allocUnsafe(CHUNK);
    let rest: Buffer = Buffer.alloc(0);
    let lineNo = 0;
    let bad = 0;
    const one = (text: string) => {
      lineNo++;
      if (text.length === 0) return;
      if (text.length > MAX_LINE) {
        bad++;
        return warn(`${name}:${lineNo}: line longer than ${MAX_LINE} characters; skipped`);
      }
      try {
        f.line(text);
      } catch (e) {
        // A flood of bad lines gets a few warnings and a count, not a warning each.
        if (++bad <= 5) warn(`${name}:${lineNo}: ${(e as Error).message}; line skipped`);
      }
    };
    for (;;) {
      const n = left > 0 ? fs.readSync(fd, buf, 0, Math.min(CHUNK, left), null) : 0;
      if (n === 0) break;
      left -= n;
      const chunk = rest.length ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
      // Whole lines are decoded at once (one string, split): far less garbage than a
      // Buffer and a string per line. The bytes after the last newline wait for the next read.
      const last = chunk.lastIndexOf(10);
      if (last !== -1) for (const line of chunk.toString('utf8', 0, last).split('\n')) one(line);
      const tail = chunk.subarray(last + 1);
      // Past MAX_LINE without a newline: keep counting, stop holding the bytes.
      rest = tail.length > MAX_LINE ? Buffer.alloc(MAX_LINE + 1, 32) : Buffer.from(tail);
    }
    if (bad > 5) warn(`${name}: ${bad} bad lines in all were skipped`);
    if (rest.length) {
      // A last line without its newline: kept if it is whole (a writer that forgot the
      // newline), skipped if torn (a crash mid-write cuts a JSON object, which never parses).
      try {
        if (rest.length > MAX_LINE) throw new Error('too long');
        f.line(rest.toString('utf8'));
      } catch {
        warn(`${name}: the last line is incomplete (the command stopped mid-write?); skipped`);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Read every `*.jsonl` file of the folder, in name order. */
export function readRunDir(dir: string): Logged {
  const f = new Folder();
  const warn = (m: string) => f.logged.warnings.push(`logged values: ${m}`);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (e) {
    warn(`folder not readable (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return f.finish();
  }
  for (const n of names) readLines(path.join(dir, n), n, f, warn);
  return f.finish();
}
