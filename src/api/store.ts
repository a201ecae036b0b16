// The library's front door: `openStore()` finds a store, `initStore()` makes one, and the
// Store object does everything the CLI does. The CLI only parses and renders.
// The asynchronous commands that reach far (run, status, push, pull) load their modules when
// called: every CLI command opens a Store, and `show` should not load the git transport.
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { Graph } from '../graph/graph.js';
import { indexWritten } from '../graph/index-db.js';
import { resolveRef, type ResolveOptions } from '../graph/resolve.js';
import { parseRecordBytes, type RecordBody } from '../records/record.js';
import { findStore, initStore as initLayout, type LocateOptions, type StoreLayout } from '../store/location.js';
import { readObject, writeObject } from '../store/objects.js';
import { acquireLock } from '../store/lock.js';
import { createRecord, recordWithData, type RecordInput, type RecordResult } from './record.js';
import { aliasHistory, aliasStates, setAlias, type AliasMove, type AliasState, type SetAliasInput } from './alias.js';
import { diffRecords, type DiffResult } from './diff.js';
import { findRecords, type FindHit, type FindOptions } from './find.js';
import { lineageOf, lineagePlan, type Lineage, type LineageOptions, type LineagePlan } from '../graph/lineage.js';
import { recordDataset, type DatasetInput, type DatasetResult } from './dataset.js';
import type { RunInput, RunResult } from './run.js';
import { showHistory, showRecord, type HistoryView, type ShowResult } from './show.js';
import { logOf, type LogEntry } from './log.js';
import { whichFile, type WhichResult } from './which.js';
import type { StatusReport } from './status.js';
import type { PullResult, PushResult, SyncOptions } from '../remote/sync.js';
import { verifyStore, type VerifyReport } from './verify.js';
import type { TrustOptions } from '../prove/keys.js';
import { signRecord, type SignOptions, type SignResult } from '../prove/sign.js';

export interface OpenOptions extends LocateOptions {}

export class Store {
  readonly layout: StoreLayout;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  private graphCache?: Graph;
  /** how deep this process is inside withWriteLock (the lock file is taken once) */
  private lockDepth = 0;

  constructor(layout: StoreLayout, opts: OpenOptions = {}) {
    this.layout = layout;
    this.cwd = opts.cwd ?? process.cwd();
    this.env = opts.env ?? process.env;
  }

  /** The derived index as a graph, refreshed from disk on first use. */
  graph(): Graph {
    this.graphCache ??= new Graph(this.layout);
    return this.graphCache;
  }

  /** Resolve a ref (id, prefix, NAME, NAME@N, NAME@ALIAS) to a full id. */
  resolve(ref: string, opts: ResolveOptions = {}): string {
    return resolveRef(this.layout, () => this.graph(), ref, opts);
  }

  /** The raw bytes of an object, hash-checked. */
  cat(id: string): Buffer {
    return readObject(this.layout.objects, id);
  }

  /** A record by id, hash-checked and validated. */
  read(id: string): RecordBody {
    return parseRecordBytes(this.cat(id), id);
  }

  /**
   * Store canonical record bytes. Its rows go straight into an index open in this process;
   * `known` is the body the bytes were made from, when the caller has it (spares a parse).
   */
  writeRecordBytes(bytes: Buffer, known?: RecordBody): { id: string; created: boolean } {
    const res = writeObject(this.layout.objects, bytes);
    if (res.created) indexWritten(this.layout, res.id, bytes, known);
    return res;
  }

  /**
   * Run `fn` holding the store's write lock (`cache/locks/write.lock`), with the graph
   * re-read from disk once the lock is held: whoever reads a line's heads to write its next
   * version (or alias move) does it here, so two processes never both make `m@3`. Keep `fn`
   * short and synchronous: hashing and commands happen before it. Re-entrant in a process.
   */
  /** Forget the open graph: objects were written behind the index's back (a bulk import). */
  invalidateGraph(): void {
    this.graphCache = undefined;
  }

  withWriteLock<T>(fn: () => T): T {
    if (this.lockDepth > 0) return fn();
    const release = this.takeWriteLock();
    this.lockDepth++;
    // Heads read before the lock may be stale: another writer may have just added a version.
    this.graphCache = undefined;
    try {
      return fn();
    } finally {
      this.lockDepth--;
      release();
    }
  }

  private takeWriteLock(): () => void {
    return acquireLock(path.join(this.layout.cache, 'locks', 'write.lock'), { what: 'the store' });
  }

  /**
   * Make a record. `data` entries that name existing files or folders are hashed into
   * datasets first; nothing is written until every record is known to be valid.
   */
  record(input: RecordInput): Promise<RecordResult> {
    return recordWithData(this, input);
  }

  /** Make a record whose datasets are already resolved to ids (no file hashing). */
  createRecord(input: RecordInput, dataIds: string[] = []): RecordResult {
    return createRecord(this, input, dataIds);
  }

  /** Run a command and record it (and a model version); see RunInput. */
  async run(input: RunInput): Promise<RunResult> {
    const { runCommand } = await import('./run.js');
    return runCommand(this, input);
  }

  /** Hash files and folders into a dataset version (or return the head if the data is unchanged). */
  recordDataset(input: DatasetInput): Promise<DatasetResult> {
    return recordDataset(this, input);
  }

  show(ref: string, opts: ResolveOptions = {}): ShowResult {
    return showRecord(this, this.resolve(ref, opts));
  }

  /** One metric's curve of REF (`show --history METRIC`). */
  history(ref: string, metric: string, opts: ResolveOptions = {}): HistoryView {
    return showHistory(this, this.resolve(ref, opts), metric);
  }

  log(name?: string, opts: { kind?: string; limit?: number; offset?: number } = {}): LogEntry[] {
    return logOf(this, name, opts);
  }

  /** Records whose artifacts, outputs or dataset files hold this file's content. */
  which(file: string): WhichResult {
    return whichFile(this, file);
  }

  /** Newest datasets and models against the work tree. */
  async status(): Promise<StatusReport> {
    const { statusOf } = await import('./status.js');
    return statusOf(this);
  }

  /** Ancestors (default), descendants or both of REF. */
  lineage(ref: string, opts: LineageOptions = {}): Lineage {
    return lineageOf(this.graph(), this.lineageRoot(ref), opts);
  }

  /** The same walk, laid out for `--json` from the index's text (render/lineage.ts writeLineageJson). */
  lineagePlan(ref: string, opts: LineageOptions = {}): LineagePlan {
    return lineagePlan(this.graph(), this.lineageRoot(ref), opts);
  }

  private lineageRoot(ref: string): string {
    const id = this.resolve(ref);
    // A record the index left out is malformed: reading it says why (E_CORRUPT_OBJECT).
    if (!this.graph().get(id)) this.read(id);
    return id;
  }

  /** What changed from REF's previous version to REF, or from REF to OTHER. */
  diff(ref: string, other?: string, opts: ResolveOptions = {}): DiffResult {
    return diffRecords(this, ref, other, opts);
  }

  find(opts: FindOptions = {}): FindHit[] {
    return findRecords(this, opts);
  }

  /** Point ALIAS at REF (or remove it), as a new alias record. */
  setAlias(input: SetAliasInput): { id: string; name: string; target: string | null } {
    return setAlias(this, input);
  }

  aliasHistory(name?: string): AliasMove[] {
    return aliasHistory(this, name);
  }

  aliases(name?: string): AliasState[] {
    return aliasStates(this, name);
  }

  /** Send the store to REMOTE's refs/mlmeta/store (pulling first if the remote moved). */
  async push(remote?: string, opts: SyncOptions = {}): Promise<PushResult> {
    const { pushStore } = await import('../remote/sync.js');
    return pushStore(this.layout, remote, { cwd: this.cwd, ...opts });
  }

  /** Add every object of REMOTE's refs/mlmeta/store that this store lacks. */
  async pull(remote?: string, opts: SyncOptions = {}): Promise<PullResult> {
    const { pullStore } = await import('../remote/sync.js');
    return pullStore(this.layout, remote, { cwd: this.cwd, ...opts });
  }

  /** Sign REF's exact bytes with an SSH key (ssh-keygen -Y sign, namespace mlmeta) as a `signature` record. */
  sign(ref: string, opts: SignOptions = {}): SignResult {
    return signRecord(this, ref, opts);
  }

  /** Check every object (or REF and its ancestors); `fix` removes temp files of dead writers first. */
  verify(ref?: string, opts: { fix?: boolean; signatures?: boolean | TrustOptions } = {}): VerifyReport {
    return verifyStore(this, ref, opts);
  }
}

export function openStore(opts: OpenOptions = {}): Store {
  return new Store(findStore(opts), opts);
}

export function initStore(opts: OpenOptions = {}): { store: Store; created: boolean } {
  const { layout, created } = initLayout(opts);
  return { store: new Store(layout, opts), created };
}

export { MlmetaError };
