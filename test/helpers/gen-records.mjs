// Test helper (from review 4). Craft a store of records directly (as a collaborator's commit would): a chain of model
// versions on one line, or (KIND eval) N evals of one name, unversioned as `record eval --name`
// makes them. Usage: node test/helpers/gen-records.mjs DIR N FIRST_VERSION [KIND]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalYaml, sha256Hex } from '../../dist/index.js';
const [dir, n, first] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const kind = process.argv[5] ?? 'model';
const objects = path.join(dir, '.mlmeta', 'objects');
let parent;
for (let i = 0; i < n; i++) {
  const rec = { author: 'A <a@example.test>', created: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3,'0').slice(-3)}Z`, kind, mlmeta: 1, name: 'm',
    ...(kind === 'eval' ? { metrics: { acc: i / n } } : { version: first + i, ...(parent ? { parents: [{ id: parent, role: 'previous' }] } : {}) }) };
  const bytes = Buffer.from(canonicalYaml(rec));
  const id = sha256Hex(bytes);
  fs.mkdirSync(path.join(objects, id.slice(0, 2)), { recursive: true });
  fs.writeFileSync(path.join(objects, id.slice(0, 2), id.slice(2) + '.yaml'), bytes);
  parent = id;
}
console.log(parent);
