// A detached `git worktree` of one commit in a temp folder: the user's work tree, index and
// branches are never touched. Removal is `git worktree remove --force` (which also deletes
// ignored files, so callers hash outputs first), then the temp folder and a prune.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { lastLine, runTool } from './tool.js';

export interface Worktree {
  /** the checkout */
  dir: string;
  /** git's top folder of the user's repository */
  top: string;
  remove: () => void;
}

export function gitTop(cwd: string, env: NodeJS.ProcessEnv): string {
  const r = runTool('git', ['rev-parse', '--show-toplevel'], { cwd, env, code: 'E_GIT' });
  if (r.status !== 0) throw new MlmetaError('E_GIT', `${cwd} is not in a git work tree: reproduce checks out the recorded commit with git`);
  return r.stdout.trim();
}

export function commitExists(top: string, commit: string, env: NodeJS.ProcessEnv): boolean {
  return runTool('git', ['cat-file', '-e', `${commit}^{commit}`], { cwd: top, env, code: 'E_GIT' }).status === 0;
}

export function addWorktree(top: string, commit: string, env: NodeJS.ProcessEnv): Worktree {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-reproduce-'));
  const dir = path.join(tmp, 'worktree');
  const r = runTool('git', ['worktree', 'add', '--detach', '--quiet', dir, commit], { cwd: top, env, code: 'E_GIT' });
  const remove = () => {
    runTool('git', ['worktree', 'remove', '--force', dir], { cwd: top, env, code: 'E_GIT' });
    fs.rmSync(tmp, { recursive: true, force: true });
    runTool('git', ['worktree', 'prune'], { cwd: top, env, code: 'E_GIT' });
  };
  if (r.status !== 0) {
    remove();
    throw new MlmetaError('E_GIT', `git worktree add failed: ${lastLine(r.stderr)}`);
  }
  return { dir: fs.realpathSync(dir), top, remove };
}
