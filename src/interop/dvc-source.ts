// Where DVC files are read from: the work tree, or one git commit (`--all-commits`). Both
// answer the same questions: which dvc.yaml/.dvc files exist, what a file holds, and when
// (and by whom) the state was made — from git, never the clock.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { isInside } from '../store/paths.js';
import { decodeText, readSourceText } from './source-text.js';

export interface Stamp {
  /** ms since the epoch */
  time: number;
  author?: string;
  commit?: string;
}

export interface DvcSnapshot {
  root: string;
  /** true for the work tree: local files can be hashed */
  local: boolean;
  /** project-relative paths of every dvc.yaml and *.dvc file */
  dvcFiles: string[];
  read(rel: string): string | undefined;
  /** when the state of these files was made */
  stampOf(rel: string): Stamp;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }).toString('utf8');
  } catch {
    return undefined;
  }
}

function gitBytes(root: string, args: string[]): Buffer | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  } catch {
    return undefined;
  }
}

// The author date: when the change was made (a rebase keeps it; the committer date moves).
const LOG_FORMAT = '--format=%H%x00%at%x00%an <%ae>';

function parseLog(line: string): Stamp & { commit: string } {
  const [commit, ct, author] = line.split('\u0000') as [string, string, string];
  return { commit, time: Number(ct) * 1000, author };
}

function isDvcFile(rel: string): boolean {
  const base = path.posix.basename(rel);
  return base === 'dvc.yaml' || (base.endsWith('.dvc') && base !== '.dvc');
}

/** Paths in the work tree: git's list when in git (fast, ignores data), else a bounded walk. */
function workTreeFiles(root: string): string[] {
  const listed = git(root, ['ls-files', '-z', '-co', '--exclude-standard']);
  if (listed !== undefined) return listed.split('\u0000').filter((f) => f && isDvcFile(f)).sort();
  const out: string[] = [];
  const walk = (dir: string, rel: string, depth: number) => {
    if (depth > 8) return;
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (e.name === '.git' || e.name === '.dvc' || e.name === '.mlmeta' || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r, depth + 1);
      else if (e.isFile() && isDvcFile(r)) out.push(r);
    }
  };
  walk(root, '', 0);
  return out.sort();
}

export function workTree(root: string): DvcSnapshot {
  const inGit = git(root, ['rev-parse', '--is-inside-work-tree'])?.trim() === 'true';
  return {
    root,
    local: true,
    dvcFiles: workTreeFiles(root),
    read(rel) {
      const file = path.join(root, rel);
      if (!fs.existsSync(file)) return undefined;
      // A path named in dvc.yaml is untrusted (`../../x`, or a symlink out): the project only.
      if (!isInside(fs.realpathSync(root), fs.realpathSync(file))) throw new MlmetaError('E_IMPORT_SOURCE', `${rel}: lies outside the project; not read`, { file: rel });
      return readSourceText(file, root);
    },
    stampOf(rel) {
      // A file as committed: its last commit. Changed since (or outside git): its mtime.
      if (inGit && git(root, ['status', '--porcelain', '--', rel])?.trim() === '') {
        const line = git(root, ['log', '-1', LOG_FORMAT, '--', rel])?.trim();
        if (line) return parseLog(line);
      }
      const st = fs.statSync(path.join(root, rel), { throwIfNoEntry: false });
      return { time: st ? Math.floor(st.mtimeMs) : 0 };
    },
  };
}

/** Commits that changed `rel` (dvc.lock), oldest first. */
export function commitsChanging(root: string, rel: string): Array<Stamp & { commit: string }> {
  if (git(root, ['rev-parse', '--is-inside-work-tree'])?.trim() !== 'true') throw new MlmetaError('E_GIT', `${root} is not in a git work tree; --all-commits reads git history`);
  const out = git(root, ['log', '--reverse', LOG_FORMAT, '--', rel]);
  if (out === undefined) throw new MlmetaError('E_GIT', `git log failed in ${root}`);
  return out.split('\n').filter(Boolean).map(parseLog);
}

export function atCommit(root: string, stamp: Stamp & { commit: string }): DvcSnapshot {
  const listed = git(root, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', stamp.commit]) ?? '';
  // ls-tree --full-tree lists from the repository root; keep what lies under `root`.
  const prefix = (git(root, ['rev-parse', '--show-prefix']) ?? '').trim();
  const dvcFiles = listed.split('\u0000').filter((f) => f.startsWith(prefix) && isDvcFile(f)).map((f) => f.slice(prefix.length)).sort();
  return {
    root,
    local: false,
    dvcFiles,
    read(rel) {
      const bytes = gitBytes(root, ['show', `${stamp.commit}:./${rel}`]);
      return bytes === undefined ? undefined : decodeText(bytes);
    },
    stampOf() {
      return stamp;
    },
  };
}
