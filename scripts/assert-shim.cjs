// What yargs uses of node:assert (strictEqual, notStrictEqual), without loading node:assert,
// which pulls in its error formatting and a stderr stream at start-up (~5–10 ms of every call).
function fail(message) {
  const e = new Error(message ?? 'assertion failed');
  e.code = 'ERR_ASSERTION';
  throw e;
}
exports.strictEqual = (a, b, message) => { if (!Object.is(a, b)) fail(message); };
exports.notStrictEqual = (a, b, message) => { if (Object.is(a, b)) fail(message); };
