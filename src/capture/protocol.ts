// The logging protocol (docs/PROTOCOL.md): `mlmeta run` gives its command a fresh private
// folder named by MLMETA_RUN_DIR; anything in the command (Python's `mlmeta` module, R,
// Julia, a shell `echo >>`) appends JSON lines to `*.jsonl` files there. While the command
// runs, run reads the complete lines as they arrive (RunLog.poll: the reading overlaps the
// training instead of following it); after the command it reads the rest and folds it all
// into its records (api/run-log.ts). The result is what reading the folder after the command
// gives: files merge in name order, whatever the timing of the polls.
//
// The reader trusts nothing it reads: a torn last line (a crash mid-write) or a bad line is
// skipped with a warning, never a corrupt record; files are read in chunks, so a huge log
// costs memory for its points only, and past MAX_POINTS the rest is dropped with a warning.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ioError } from '../errors.js';
import { MAX_TIME, sortColumns, type Columns } from '../records/history.js';
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
  metrics: Record<string, Columns>;
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
    remove: () => {
      // Most commands log nothing: an empty folder goes with one rmdir (a recursive rmSync
      // first loads ~5 ms of node's own code at every `run`).
      try {
        fs.rmdirSync(dir);
      } catch {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
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

// The line the Python module writes for every point, {"metric":"NAME","value":V,"step":N,"time":T},
// is read straight from the bytes (fastPoint below): no string per line, no JSON object, no
// regex match — at 10^5 points that was most of the fold's time and garbage. Anything else,
// or anything odd in such a line, takes the general path (JSON.parse).
const AT_METRIC = Buffer.from('{"metric":"');
const AT_VALUE = Buffer.from('","value":');
const AT_STEP = Buffer.from(',"step":');
const AT_TIME = Buffer.from(',"time":');
const QUOTED_VALUES = ['"nan"', '"inf"', '"-inf"'].map((v) => ({ bytes: Buffer.from(v), value: metricValue(v.slice(1, -1)) }));

const isDigit = (c: number | undefined) => c !== undefined && c >= 48 && c <= 57;

/** Whether `buf` holds `lit` at `at`. */
function has(buf: Buffer, at: number, lit: Uint8Array): boolean {
  if (at + lit.length > buf.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[at + i] !== lit[i]) return false;
  return true;
}

/** The end of the digits from `at` (at most `max`); `at` when there are none. */
function digits(buf: Buffer, at: number, end: number, max: number): number {
  let i = at;
  while (i < end && i - at < max && isDigit(buf[i])) i++;
  return i;
}

/** The digits `buf[at, end)` as a number (at most 15 of them: exact). */
function wholeNumber(buf: Buffer, at: number, end: number): number {
  let n = 0;
  for (let i = at; i < end; i++) n = n * 10 + buf[i]! - 48;
  return n;
}

/** Points read so far across the folder's files (memory is bounded per run, not per file). */
interface Budget {
  points: number;
  dropped: number;
  /** MAX_POINTS (smaller in tests) */
  readonly max: number;
}

/**
 * What one file logged, line by line, in its order; `line` throws a plain Error for a bad line.
 * Files are merged in name order by RunLog.finish: params as operations replayed in order, and
 * points without a step numbered then (a step-less point takes its metric's next step across
 * the files before it, as when the files were read one after another).
 */
class FileLog {
  /** params in the order last set (a param logged again moves to the end): replaying them in
   * this order gives what replaying every line would, in memory bounded by the names */
  readonly params = new Map<string, Json>();
  /** each metric's points; a step NaN: none given */
  readonly metrics = new Map<string, Columns>();
  /** in the order first logged (run folds them without repeats): memory per path, not per line */
  readonly inputs = new Set<string>();
  readonly outputs = new Set<string>();
  readonly tags: Record<string, string> = {};
  readonly warnings: string[] = [];
  points = 0;
  dropped = 0;
  /** the name of the last fast-read point, and its bytes (most lines repeat it) */
  private lastName = '';
  private lastNameBytes = Buffer.alloc(0);

  constructor(private readonly budget: Budget) {}

  private point(name: string, value: unknown, step: number | undefined, time: number | undefined): void {
    let m = this.metrics.get(name);
    if (!m) checkLoggedName(name, 'metric');
    const v = metricValue(value);
    if (this.budget.points >= this.budget.max) {
      // (a metric is kept only with a point: names past the limit cost no memory either)
      this.budget.dropped++;
      this.dropped++;
      return;
    }
    if (!m) this.metrics.set(name, (m = { step: [], value: [], time: [] }));
    m.step.push(step ?? NaN);
    m.value.push(v);
    m.time.push(time ?? NaN);
    this.budget.points++;
    this.points++;
  }

  /**
   * The Python module's point line in `buf[start, end)` (no newline), read in place; false
   * when the line is not exactly that shape (ASCII name without escapes, a JSON number or
   * "nan"/"inf"/"-inf", whole step and time of at most 15 digits) — the caller then parses
   * it as JSON, so this is only ever a shortcut to the same result.
   */
  fastPoint(buf: Buffer, start: number, end: number): boolean {
    if (!has(buf, start, AT_METRIC)) return false;
    const nameAt = start + AT_METRIC.length;
    let i = nameAt;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c === 34) break;
      if (c < 32 || c === 92 || c > 126) return false;
    }
    const nameLen = i - nameAt;
    if (nameLen < 1 || nameLen > 200 || !has(buf, i, AT_VALUE)) return false;
    let name = this.lastName;
    if (nameLen !== this.lastNameBytes.length || !has(buf, nameAt, this.lastNameBytes)) {
      name = buf.toString('latin1', nameAt, i);
      this.lastName = name;
      this.lastNameBytes = Buffer.from(buf.subarray(nameAt, i));
    }
    i += AT_VALUE.length;
    // the value: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? or a quoted nan/inf/-inf
    let value: number;
    const quoted = QUOTED_VALUES.find((q) => has(buf, i, q.bytes));
    if (quoted) {
      value = quoted.value;
      i += quoted.bytes.length;
    } else {
      const valueAt = i;
      if (buf[i] === 45) i++;
      if (buf[i] === 48) i++;
      else if (isDigit(buf[i])) i = digits(buf, i, end, end);
      else return false;
      if (buf[i] === 46) {
        const at = ++i;
        if ((i = digits(buf, i, end, end)) === at) return false;
      }
      if (buf[i] === 101 || buf[i] === 69) {
        i++;
        if (buf[i] === 43 || buf[i] === 45) i++;
        const at = i;
        if ((i = digits(buf, i, end, end)) === at) return false;
      }
      value = Number(buf.toString('latin1', valueAt, i));
    }
    if (!has(buf, i, AT_STEP)) return false;
    const stepAt = (i += AT_STEP.length);
    // (a leading zero is not JSON: `007` must be refused as JSON.parse refuses it)
    if ((i = digits(buf, i, end, 15)) === stepAt || (buf[stepAt] === 48 && i - stepAt > 1)) return false;
    const step = wholeNumber(buf, stepAt, i);
    if (!has(buf, i, AT_TIME)) return false;
    const timeAt = (i += AT_TIME.length);
    if ((i = digits(buf, i, end, 15)) === timeAt || (buf[timeAt] === 48 && i - timeAt > 1)) return false;
    const time = wholeNumber(buf, timeAt, i);
    if (i !== end - 1 || buf[i] !== 125) return false;
    this.point(name, value, step, time);
    return true;
  }


  private param(name: string, value: Json): void {
    this.params.delete(name);
    this.params.set(name, value);
  }

  line(text: string): void {
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
        this.param(name, o.value as Json);
        return;
      }
      case 'params':
        if (!isMapping(o.params)) throw new Error('params is not an object');
        checkJson(o.params, 'params');
        for (const [k, v] of Object.entries(o.params)) this.param(checkLoggedName(k, 'param'), v as Json);
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
        (keys[0] === 'input' ? this.inputs : this.outputs).add(p);
        return;
      }
      case 'tag': {
        const name = checkLoggedName(o.tag, 'tag');
        if (typeof o.value !== 'string') throw new Error(`tag ${name}: value is not a string`);
        this.tags[name] = o.value;
        return;
      }
    }
  }

}

const EMPTY = Buffer.alloc(0);
/** Read per poll while the command runs, all files together (a poll holds the event loop while it reads: signals wait). */
const POLL_BYTES = 8 * CHUNK;
/** Bytes of a file kept to see it rewritten in place (each line the Python module writes ends in a time in ms). */
const TAIL_BYTES = 64;
/** Files held open while the command runs; more are read when it has ended (no fd exhaustion from a folder of 10^5 files). */
const MAX_OPEN = 64;

/** One `*.jsonl` file, read as it grows: complete lines only, until the command has ended. */
class LogFile {
  log: FileLog;
  private fd?: number;
  private ino?: number;
  /** bytes of the file consumed (lines handled, plus the carried unfinished line) */
  private read = 0;
  private carry: Buffer = EMPTY;
  /** the last bytes consumed, as they were read: a file rewritten in place since shows here */
  private tail: Buffer = EMPTY;
  /** rewritten or cut short since it was read (seen by a poll): read again from the start at the end */
  private stale = false;
  private lineNo = 0;
  private bad = 0;

  constructor(
    private readonly file: string,
    readonly name: string,
    private readonly budget: Budget,
  ) {
    this.log = new FileLog(budget);
    this.open();
  }

  private warn(m: string): void {
    this.log.warnings.push(`logged values: ${m}`);
  }

  private open(): void {
    let fd: number;
    try {
      // O_NOFOLLOW: a link planted in the folder is not followed into some other file.
      // O_NONBLOCK: opening a FIFO planted there does not wait forever for a writer.
      fd = fs.openSync(this.file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
      return this.warn(`${this.name}: not read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      fs.closeSync(fd);
      return this.warn(`${this.name}: not a regular file; not read`);
    }
    this.fd = fd;
    this.ino = stat.ino;
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Forget what was read (and its points in the budget) and close: the next finish() reads it from its start. */
  discard(): void {
    this.close();
    this.budget.points -= this.log.points;
    this.budget.dropped -= this.log.dropped;
    this.log = new FileLog(this.budget);
    this.read = 0;
    this.carry = EMPTY;
    this.tail = EMPTY;
    this.stale = false;
    this.lineNo = 0;
    this.bad = 0;
    this.ino = undefined;
  }

  /** Forget what was read (the file was replaced or cut while the command ran) and open it again. */
  private restart(): void {
    this.discard();
    this.open();
  }

  /**
   * Whether the file still holds what was read: as long as it was, and the last bytes read
   * unchanged (a writer that truncates and writes again — `open(…, "w")` — is seen here even
   * when the file has grown back past what was read).
   */
  private intact(size: number): boolean {
    if (size < this.read) return false;
    if (this.tail.length === 0) return true;
    const now = Buffer.allocUnsafe(this.tail.length);
    const n = fs.readSync(this.fd!, now, 0, now.length, this.read - this.tail.length);
    return n === now.length && now.equals(this.tail);
  }

  private failed(e: unknown): void {
    // A flood of bad lines gets a few warnings and a count, not a warning each.
    if (++this.bad <= 5) this.warn(`${this.name}:${this.lineNo}: ${(e as Error).message}; line skipped`);
  }

  /** One complete line, `buf[start, end)` without its newline. */
  private one(buf: Buffer, start: number, end: number): void {
    this.lineNo++;
    if (end === start) return;
    try {
      if (end - start <= 512 && this.log.fastPoint(buf, start, end)) return;
    } catch (e) {
      return this.failed(e);
    }
    // Measured in bytes, as the carried bytes are (a count of characters would make a long
    // non-ASCII line kept or skipped depending on where the reads happened to cut it).
    if (end - start > MAX_LINE) return this.failed(new Error(`line longer than ${MAX_LINE} bytes`));
    try {
      this.log.line(buf.toString('utf8', start, end));
    } catch (e) {
      this.failed(e);
    }
  }

  /** Handle the complete lines among the file's bytes up to `limit` (`buf`: scratch space of MAX_LINE + 1 + CHUNK). */
  pump(buf: Buffer, limit: number): void {
    if (this.fd === undefined) return;
    buf.set(this.carry, 0);
    let carried = this.carry.length;
    while (this.read < limit) {
      const n = fs.readSync(this.fd, buf, carried, Math.min(CHUNK, limit - this.read), this.read);
      if (n === 0) break;
      this.read += n;
      const end = carried + n;
      const view = buf.subarray(0, end);
      let start = 0;
      for (let nl = view.indexOf(10); nl !== -1; nl = view.indexOf(10, start)) {
        this.one(view, start, nl);
        start = nl + 1;
      }
      if (end - start > MAX_LINE) {
        // Past MAX_LINE without a newline: keep counting, stop holding the bytes.
        carried = MAX_LINE + 1;
        buf.fill(32, 0, carried);
      } else {
        buf.copyWithin(0, start, end);
        carried = end - start;
      }
    }
    this.carry = Buffer.from(buf.subarray(0, carried));
    const k = Math.min(TAIL_BYTES, this.read);
    if (k === 0) return;
    this.tail = Buffer.allocUnsafe(k);
    if (fs.readSync(this.fd, this.tail, 0, k, this.read - k) !== k) this.stale = true;
  }

  /** While the command runs: what has arrived, a bounded amount at a time. */
  poll(buf: Buffer, most: number): number {
    if (this.fd === undefined || this.stale || most <= 0) return 0;
    const size = fs.fstatSync(this.fd).size;
    // cut short or rewritten: finish() starts it over
    if (!this.intact(size)) {
      this.stale = true;
      return 0;
    }
    const from = this.read;
    this.pump(buf, Math.min(size, this.read + most));
    return this.read - from;
  }

  /**
   * After the command: the rest, up to the size it has now (a child left behind may still be
   * appending, and chasing a file that grows faster than it is read never ends). A file
   * replaced or cut short while the command ran is read again from its start: the result is
   * what the folder holds when the command ends.
   */
  finish(buf: Buffer): void {
    let now: fs.Stats | undefined;
    try {
      now = fs.lstatSync(this.file);
    } catch {
      now = undefined;
    }
    // (not opened while polling — a FIFO then, say — is tried again too)
    if (this.fd === undefined || this.stale || now?.ino !== this.ino || !this.intact(fs.fstatSync(this.fd).size)) this.restart();
    if (this.fd === undefined) return;
    this.pump(buf, fs.fstatSync(this.fd).size);
    if (this.bad > 5) this.warn(`${this.name}: ${this.bad} bad lines in all were skipped`);
    if (this.carry.length) {
      // A last line without its newline: kept if it is whole (a writer that forgot the
      // newline), skipped if torn (a crash mid-write cuts a JSON object, which never parses).
      try {
        if (this.carry.length > MAX_LINE) throw new Error('too long');
        this.log.line(this.carry.toString('utf8'));
      } catch {
        this.warn(`${this.name}: the last line is incomplete (the command stopped mid-write?); skipped`);
      }
    }
    this.close();
  }
}

/** The folder a command logs into, read while it runs (poll) and once it has ended (finish). */
export class RunLog {
  private readonly files = new Map<string, LogFile>();
  private readonly budget: Budget;
  private buf?: Buffer;
  private polled = false;

  constructor(
    readonly dir: string,
    maxPoints = MAX_POINTS,
  ) {
    this.budget = { points: 0, dropped: 0, max: maxPoints };
  }

  private scratch(): Buffer {
    return (this.buf ??= Buffer.allocUnsafe(MAX_LINE + 1 + CHUNK));
  }

  private fileFor(name: string): LogFile {
    let f = this.files.get(name);
    if (!f) this.files.set(name, (f = new LogFile(path.join(this.dir, name), name, this.budget)));
    return f;
  }

  /** Read the complete lines logged so far; never throws (whatever fails is seen again by finish). */
  poll(): void {
    this.polled = true;
    try {
      const names = new Set(fs.readdirSync(this.dir).filter((n) => n.endsWith('.jsonl')));
      let open = 0;
      let left = POLL_BYTES;
      for (const [n, f] of this.files) {
        // gone (for now): its fd would pin a removed file; if the name comes back, finish reads it anew
        if (!names.has(n)) f.close();
        else if (f.isOpen) open++;
      }
      for (const n of names) {
        const f = this.files.get(n);
        if (f) left -= f.poll(this.scratch(), left);
        else if (open < MAX_OPEN) {
          const g = this.fileFor(n);
          if (g.isOpen) open++;
          left -= g.poll(this.scratch(), left);
        }
      }
    } catch {
      /* finish() reads it all again and reports */
    }
  }

  /** Read what is left and fold every file's lines together, in file-name order. */
  finish(): Logged {
    const out: Logged = { params: {}, metrics: {}, inputs: [], outputs: [], tags: {}, warnings: [] };
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith('.jsonl')).sort();
    } catch (e) {
      out.warnings.push(`logged values: folder not readable (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const listed = new Set(names);
    for (const [n, f] of this.files) {
      if (listed.has(n)) continue;
      // gone by the end: not part of what the command left
      f.discard();
      this.files.delete(n);
    }
    try {
      for (const n of names) this.fileFor(n).finish(this.scratch());
      // Past MAX_POINTS, which points were dropped depended on the order the polls read
      // them in: read it all again in name order, as reading the folder after the command does
      // (only a run past 3·10^6 points pays for it).
      if (this.budget.dropped > 0 && this.polled) {
        for (const n of names) this.files.get(n)!.discard();
        for (const n of names) this.files.get(n)!.finish(this.scratch());
      }
    } finally {
      for (const f of this.files.values()) f.close();
    }
    const next = new Map<string, number>();
    const unnumbered = new Map<string, number>();
    for (const n of names) {
      const log = this.files.get(n)!.log;
      for (const [k, v] of log.params) setDotted(out.params, k, v);
      for (const [metric, c] of log.metrics) {
        const into = (out.metrics[metric] ??= { step: [], value: [], time: [] });
        let nx = next.get(metric) ?? 0;
        for (let i = 0; i < c.step.length; i++) {
          const s = Number.isNaN(c.step[i]) ? nx : c.step[i]!;
          if (!Number.isSafeInteger(s)) {
            // after a point at step 2^53 - 1, a step-less one has no next step a record can hold
            unnumbered.set(metric, (unnumbered.get(metric) ?? 0) + 1);
            continue;
          }
          if (s + 1 > nx) nx = s + 1;
          into.step.push(s);
          into.value.push(c.value[i]!);
          into.time.push(c.time[i]!);
        }
        next.set(metric, nx);
      }
      // (loops, not push(...): 10^5 logged paths would overflow the call stack)
      for (const p of log.inputs) out.inputs.push(p);
      for (const p of log.outputs) out.outputs.push(p);
      Object.assign(out.tags, log.tags);
      for (const w of log.warnings) out.warnings.push(w);
    }
    for (const [metric, k] of unnumbered) out.warnings.push(`metric ${metric}: ${k} points without a step after step ${Number.MAX_SAFE_INTEGER} were not recorded (no whole step follows it)`);
    if (this.budget.dropped) out.warnings.push(`${this.budget.dropped} logged metric points past the first ${this.budget.max} were not recorded`);
    for (const [name, c] of Object.entries(out.metrics)) {
      const n = c.step.length;
      if (n <= MAX_SERIES_POINTS) continue;
      const sorted = sortColumns(c);
      const k = MAX_SERIES_POINTS - 1;
      const pick = Array.from({ length: MAX_SERIES_POINTS }, (_, i) => Math.round((i * (n - 1)) / k));
      out.metrics[name] = { step: pick.map((j) => sorted.step[j]!), value: pick.map((j) => sorted.value[j]!), time: pick.map((j) => sorted.time[j]!) };
      out.warnings.push(`metric ${name}: ${n} points logged; ${MAX_SERIES_POINTS} kept, evenly spaced (the first and the last included)`);
    }
    return out;
  }
}

/** Read every `*.jsonl` file of the folder, in name order (all at once: the command has ended). */
export function readRunDir(dir: string): Logged {
  return new RunLog(dir).finish();
}
