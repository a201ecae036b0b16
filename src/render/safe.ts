// Text output is read by terminals, and record fields (names, messages, authors, paths,
// params) may come from anyone who can push to the store. A terminal obeys control
// characters: ESC sequences set the window title or colours, CR and LF draw fake lines,
// bidi overrides reorder what is shown. So every record-derived string in text output goes
// through `printable`, which turns them into visible escapes. The escaping is for eyes, not
// for parsing (a literal backslash is left alone): `--json` is the exact, unambiguous form.

/** C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates/marks, line/paragraph separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw (it escapes C0 inside strings; raw C0 is its own layout). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_CHAR = new RegExp(`^${UNSAFE_IN_JSON.source}$`);

/** Whether printableJson escapes this UTF-16 code unit (JSON.stringify leaves it raw). */
export function unsafeInJson(c: number): boolean {
  return c >= 0x7f && UNSAFE_CHAR.test(String.fromCharCode(c));
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escape(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** One field, shown on one line: every control character (newlines included) made visible. */
export function printable(s: unknown): string {
  return String(s).replace(UNSAFE, escape);
}

/** Whole rendered text: the same, but the renderer's own newlines are kept. */
export function printableLines(s: string): string {
  return s.replace(UNSAFE_BUT_NEWLINE, escape);
}

/**
 * JSON output: JSON.stringify already escapes C0 controls; escape the rest of the unsafe
 * set as \uXXXX too, so `--json` on a terminal is safe. The parsed values are unchanged.
 */
export function printableJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
