// The derived index's SQLite schema, in one place. The index is a cache of the records on
// disk: when SCHEMA_VERSION changes, an index of another version is dropped and rebuilt,
// never migrated. Ids are 64 hex digits as text (readable in `sqlite3`, and the same form
// every caller already holds).
import type { SqlDatabase } from '../lazy-deps.js';

/** Bump on any change below (or in what rows.ts derives from a record). */
export const SCHEMA_VERSION = 1;

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
CREATE INDEX records_fan ON records(fan);
CREATE INDEX records_line ON records(name, kind, alias);
CREATE INDEX records_created ON records(created);
CREATE INDEX records_kind_created ON records(kind, created);

-- objects whose record is malformed: left out of answers, remembered so they are not re-read
CREATE TABLE broken (
  id    TEXT PRIMARY KEY,
  fan   TEXT NOT NULL,
  error TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX broken_fan ON broken(fan);

-- parents, in order; indexed both ways for lineage walks
CREATE TABLE edges (
  child  TEXT NOT NULL,
  pos    INTEGER NOT NULL,
  parent TEXT NOT NULL,
  role   TEXT NOT NULL,
  PRIMARY KEY (child, pos)
) WITHOUT ROWID;
CREATE INDEX edges_parent ON edges(parent, role);

-- params.* and metrics.* scalar leaves, by dotted path: num holds numbers (and numeric
-- text), txt the value as text; indexed for range queries and sorting on one key
CREATE TABLE fields (
  id  TEXT NOT NULL,
  key TEXT NOT NULL,
  num REAL,
  txt TEXT NOT NULL,
  PRIMARY KEY (id, key)
) WITHOUT ROWID;
CREATE INDEX fields_num ON fields(key, num);
CREATE INDEX fields_txt ON fields(key, txt);

-- content hashes for which: artifacts, outputs and manifest files
CREATE TABLE hashes (
  sha256 TEXT NOT NULL,
  id     TEXT NOT NULL,
  how    TEXT NOT NULL,          -- artifact | output | file
  path   TEXT
);
CREATE INDEX hashes_sha ON hashes(sha256);
CREATE INDEX hashes_id ON hashes(id);

-- each fan-out folder's mtime (ns, as text) when indexed; '' when it was racy
CREATE TABLE fans (
  fan   TEXT PRIMARY KEY,
  mtime TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Tables this version expects (checked on open: a damaged or foreign file is rebuilt). */
export const TABLE_NAMES = ['records', 'broken', 'edges', 'fields', 'hashes', 'fans'];

/** Create the schema in an empty database, or drop another version's and create it. */
export function ensureSchema(db: SqlDatabase): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const present = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).sort();
  if (version === SCHEMA_VERSION && present.join() === [...TABLE_NAMES].sort().join()) return;
  db.transaction(() => {
    for (const t of present) db.exec(`DROP TABLE IF EXISTS "${t.replace(/"/g, '""')}"`);
    db.exec(TABLES);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
