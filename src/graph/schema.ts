// The derived index's SQLite schema, in one place. The index is a cache of the records on
// disk: when SCHEMA_VERSION changes, an index of another version is dropped and rebuilt,
// never migrated. Ids are 64 hex digits as text (readable in `sqlite3`, and the same form
// every caller already holds), except in the walk tables (nodes, links), keyed by integers.
import type { SqlDatabase } from '../lazy-deps.js';

/** Bump on any change below (or in what rows.ts derives from a record). */
export const SCHEMA_VERSION = 4;

const TABLES = `
-- one row per indexed (valid) record
CREATE TABLE records (
  id      TEXT PRIMARY KEY,
  fan     TEXT NOT NULL,          -- the fan-out folder (first two hex digits)
  kind    TEXT NOT NULL,
  name    TEXT,
  version INTEGER,
  created TEXT,                   -- NULL when absent (manifests)
  author  TEXT,
  "commit" TEXT,                  -- code.commit
  dirty   INTEGER,                -- code.dirty as 0/1
  message TEXT,                   -- the first 500 characters, for log
  alias   TEXT,                   -- alias records: the alias name (production, …)
  target  TEXT,                   -- alias records: the target id (NULL when removed)
  facts   TEXT NOT NULL,          -- JSON: the facts lineage views show
  summary TEXT NOT NULL           -- JSON: every field but bulky ones (summary.ts)
) WITHOUT ROWID;

-- the same records, thin, for lineage walks, under an integer key n: a walk of 10,000
-- records touches 10,000 of these rows and their links, so both are small and integer-keyed,
-- and n is chosen so that a line's versions sit next to each other (index-db.ts numberFor):
-- a version chain's rows share pages. view is the record as lineage shows it (graph.ts
-- Described), as JSON; commit is NULL for aliases. A parent named by some record but not in
-- the store (or broken) has a stub row (kind and view NULL), so every link has two ends.
CREATE TABLE nodes (
  n        INTEGER PRIMARY KEY,
  id       TEXT NOT NULL,           -- unique: nodes_id below
  kind     TEXT,
  "commit" TEXT,
  view     TEXT
);

-- edges on integer keys, for walks only (everything else reads edges): indexed both ways
CREATE TABLE links (
  child  INTEGER NOT NULL,
  pos    INTEGER NOT NULL,
  parent INTEGER NOT NULL,
  role   TEXT NOT NULL,
  PRIMARY KEY (child, pos)
) WITHOUT ROWID;

-- links whose parent's n is not settled yet: a cold build settles them all at its end, when
-- every record has its node (so a parent read after its child still gets its line's n);
-- any other write at the end of its transaction; any process finding some left (a build
-- that died) settles them before answering
CREATE TABLE pending (
  child  INTEGER NOT NULL,
  pos    INTEGER NOT NULL,
  parent TEXT NOT NULL,
  role   TEXT NOT NULL
);

-- objects whose record is malformed: left out of answers, remembered so they are not re-read
CREATE TABLE broken (
  id    TEXT PRIMARY KEY,
  fan   TEXT NOT NULL,
  error TEXT NOT NULL
) WITHOUT ROWID;

-- parents, in order; indexed both ways for lineage walks
CREATE TABLE edges (
  child  TEXT NOT NULL,
  pos    INTEGER NOT NULL,
  parent TEXT NOT NULL,
  role   TEXT NOT NULL,
  PRIMARY KEY (child, pos)
) WITHOUT ROWID;

-- params.* and metrics.* scalar leaves, by dotted path: num holds numbers (and numeric
-- text), txt the value as text; indexed for range queries and sorting on one key
CREATE TABLE fields (
  id  TEXT NOT NULL,
  key TEXT NOT NULL,
  num REAL,
  txt TEXT NOT NULL,
  PRIMARY KEY (id, key)
) WITHOUT ROWID;

-- content hashes for which: artifacts, outputs and manifest files
CREATE TABLE hashes (
  sha256 TEXT NOT NULL,
  id     TEXT NOT NULL,
  how    TEXT NOT NULL,          -- artifact | output | file
  path   TEXT
);

-- each fan-out folder's mtime (ns, as text) when indexed; '' when it was racy
CREATE TABLE fans (
  fan   TEXT PRIMARY KEY,
  mtime TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * Secondary indexes, apart from the tables: a cold build drops them and makes them once at
 * the end (sorting once is much faster than keeping them in order row by row). Any process
 * that finds one missing makes it (createIndexes), so an interrupted build costs only time.
 */
const INDEXES = `
CREATE UNIQUE INDEX IF NOT EXISTS nodes_id ON nodes(id);
CREATE INDEX IF NOT EXISTS records_fan ON records(fan);
CREATE INDEX IF NOT EXISTS records_line ON records(name, kind, version);
CREATE INDEX IF NOT EXISTS records_created ON records(created);
CREATE INDEX IF NOT EXISTS records_kind_created ON records(kind, created);
CREATE INDEX IF NOT EXISTS broken_fan ON broken(fan);
CREATE INDEX IF NOT EXISTS edges_parent ON edges(parent, role);
CREATE INDEX IF NOT EXISTS links_parent ON links(parent);
CREATE INDEX IF NOT EXISTS fields_num ON fields(key, num);
CREATE INDEX IF NOT EXISTS fields_txt ON fields(key, txt);
CREATE INDEX IF NOT EXISTS hashes_sha ON hashes(sha256);
CREATE INDEX IF NOT EXISTS hashes_id ON hashes(id);
`;

const INDEX_SQL = new Map([...INDEXES.matchAll(/^CREATE .*IF NOT EXISTS (\w+) .*;$/gm)].map((m) => [m[1]!, m[0]]));
export const INDEX_NAMES = [...INDEX_SQL.keys()];

/** Make the secondary indexes that are missing (`only`: just these). */
export function createIndexes(db: SqlDatabase, only?: string[]): void {
  const have = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[]);
  const missing = INDEX_NAMES.filter((n) => !have.has(n) && (!only || only.includes(n)));
  if (missing.length === 0) return;
  db.transaction(() => { for (const n of missing) db.exec(INDEX_SQL.get(n)!); }).immediate();
}

/**
 * Drop the indexes a build does not read: it lists each folder's ids through the *_fan ones,
 * and a build in place looks each record's node up by id (`nodes_id`); a build aside stages
 * its nodes elsewhere (index-db.ts Staging) and makes `nodes_id` after moving them over.
 */
export function dropIndexes(db: SqlDatabase, aside: boolean): void {
  const keep = (n: string) => n.endsWith('_fan') || (!aside && n === 'nodes_id');
  db.transaction(() => { for (const n of INDEX_NAMES) if (!keep(n)) db.exec(`DROP INDEX IF EXISTS ${n}`); }).immediate();
}

/** Tables this version expects (checked on open: a damaged or foreign file is rebuilt). */
export const TABLE_NAMES = ['records', 'nodes', 'links', 'pending', 'broken', 'edges', 'fields', 'hashes', 'fans'];

/** Create the schema in an empty database, or drop another version's and create it. */
export function ensureSchema(db: SqlDatabase): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const present = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).sort();
  if (version === SCHEMA_VERSION && present.join() === [...TABLE_NAMES].sort().join()) return createIndexes(db);
  db.transaction(() => {
    for (const t of present) db.exec(`DROP TABLE IF EXISTS "${t.replace(/"/g, '""')}"`);
    db.exec(TABLES);
    db.exec(INDEXES);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
