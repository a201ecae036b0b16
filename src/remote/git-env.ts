// The environment of every git process that works on the store's sync repository
// (.mlmeta/cache/sync.git, always named by --git-dir). Variables that point git at another
// repository's parts are dropped: git sets GIT_OBJECT_DIRECTORY and GIT_QUARANTINE_PATH for the
// hooks receive-pack runs, and users set GIT_DIR or alternates in their shells — with them the
// sync repository's blobs would go to, or be read from, a repository that is not ours. The
// user's configuration (GIT_CONFIG_COUNT/…_KEY_n, GIT_CONFIG_PARAMETERS), credentials helpers,
// proxies and SSH settings are kept. (The list: `git rev-parse --local-env-vars`, git 2.39,
// without the configuration ones, plus GIT_QUARANTINE_PATH.)
const REPOSITORY_VARS = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_OBJECT_DIRECTORY', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE', 'GIT_INDEX_FILE', 'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX', 'GIT_SHALLOW_FILE', 'GIT_COMMON_DIR', 'GIT_QUARANTINE_PATH',
];

/** `base` (the process's environment by default) without the repository-locating variables. */
export function syncRepoEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const name of REPOSITORY_VARS) delete env[name];
  return env;
}
