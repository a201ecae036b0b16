// `--json` output written in pieces: the exact text of `JSON.stringify(value, null, 2)`, made
// element by element for the top two levels and handed out in ~64 KB chunks. A lineage of a
// 10,000-deep chain is 8.5 MB of JSON; as one string it was built, scanned for unsafe
// characters, copied into one 8.5 MB buffer and written (~0.3 s here, mostly fresh memory
// and the garbage collector); in pieces, that step takes about half the time (docs/BENCH.md).
import { printableJson, unsafeInJson } from './safe.js';

const CHUNK = 1 << 16;

/** JSON.stringify calls toJSON(key) with the value's key: such a value (or a container holding one) is left to it whole. */
const hasToJSON = (v: unknown) => v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function';

/** Arrays and plain objects (no toJSON) are laid out here; anything else is JSON.stringify's. */
function isContainer(v: unknown): v is unknown[] | Record<string, unknown> {
  if (v === null || typeof v !== 'object' || hasToJSON(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

/** JSON.stringify leaves out (in objects) or writes null for (in arrays) these. */
const skipped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** One value's text at this indentation (its first line is not indented; later ones are). */
function leaf(v: unknown, indent: string): string {
  const text = printableJson(JSON.stringify(v, null, 2));
  // JSON text has no raw newline inside strings: every one is layout
  return indent ? text.replace(/\n/g, `\n${indent}`) : text;
}

function* pieces(value: unknown, indent: string, depth: number): Generator<string> {
  if (depth >= 2 || !isContainer(value) || Object.values(value).some(hasToJSON)) {
    yield leaf(value, indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i ? ',' : ''}\n${inner}`;
      const v = value[i];
      if (skipped(v)) yield 'null';
      else yield* pieces(v, inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  const keys = Object.keys(value).filter((k) => !skipped(value[k]));
  if (keys.length === 0) return yield '{}';
  yield '{';
  for (let i = 0; i < keys.length; i++) {
    yield `${i ? ',' : ''}\n${inner}${printableJson(JSON.stringify(keys[i]))}: `;
    yield* pieces(value[keys[i]!], inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/** Write `printableJson(JSON.stringify(value, null, 2)) + '\n'` through `write`, in chunks. */
export function writeJson(value: unknown, write: (chunk: string) => void): void {
  let parts: string[] = [];
  let size = 0;
  for (const p of pieces(value, '', 0)) {
    parts.push(p);
    size += p.length;
    if (size >= CHUNK) {
      write(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  parts.push('\n');
  write(parts.join(''));
}

const HEX = '0123456789abcdef';
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** Room left at the end of a chunk for the most one character can take (a \uXXXX escape: 6 bytes). */
const SLACK = 16;

/**
 * JSON written straight into UTF-8 chunks of ~64 KB, for answers too big to build as
 * strings: the bytes of `printableJson(text)` encoded as UTF-8 (a lone surrogate as U+FFFD,
 * as Buffer.from and process.stdout.write do). Compact JSON text from elsewhere (a lineage's
 * record views, as the index holds them) is laid out as JSON.stringify(value, null, 2) would lay
 * out its value, without parsing it: a 10,000-node lineage made as objects and strings was
 * tens of MB of short-lived strings and objects (docs/BENCH.md, sixth wave).
 */
export class JsonWriter {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK + SLACK);
  private at = 0;
  /** chunks written and released, to be filled again: 8.5 MB of fresh buffers cost ~2,000 page faults here */
  private free: Buffer[] = [];

  /**
   * `write` gets each chunk, and calls `release` (once or more) when it no longer needs its
   * bytes (a pipe may hold a chunk after write returns): only then is its memory filled again.
   */
  constructor(private readonly write: (chunk: Uint8Array, release: () => void) => void) {}

  private flush(): void {
    const buf = this.buf;
    let released = false;
    this.write(buf.subarray(0, this.at), () => {
      if (!released) this.free.push(buf);
      released = true;
    });
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(CHUNK + SLACK);
    this.at = 0;
  }

  private room(): void {
    if (this.at >= CHUNK) this.flush();
  }

  private escape(c: number): void {
    const b = this.buf;
    b[this.at++] = BACKSLASH;
    b[this.at++] = 0x75; // u
    for (let shift = 12; shift >= 0; shift -= 4) b[this.at++] = HEX.charCodeAt((c >> shift) & 15);
  }

  /** The character at s[k] (as UTF-8, or escaped when printableJson escapes it); returns the index of its last code unit. */
  private char(s: string, k: number): number {
    this.room();
    const c = s.charCodeAt(k);
    const b = this.buf;
    if (c < 0x7f) b[this.at++] = c;
    else if (unsafeInJson(c)) this.escape(c);
    else if (c < 0x800) {
      b[this.at++] = 0xc0 | (c >> 6);
      b[this.at++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(k + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const p = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b[this.at++] = 0xf0 | (p >> 18);
        b[this.at++] = 0x80 | ((p >> 12) & 63);
        b[this.at++] = 0x80 | ((p >> 6) & 63);
        b[this.at++] = 0x80 | (p & 63);
        return k + 1;
      }
      b[this.at++] = 0xef; // a lone surrogate: U+FFFD
      b[this.at++] = 0xbf;
      b[this.at++] = 0xbd;
    } else {
      b[this.at++] = 0xe0 | (c >> 12);
      b[this.at++] = 0x80 | ((c >> 6) & 63);
      b[this.at++] = 0x80 | (c & 63);
    }
    return k;
  }

  /** Copies s[k, end) while it is printable ASCII but `"` and `\\` (up to the chunk's end); returns where it stopped. */
  private plain(s: string, k: number, end: number): number {
    const b = this.buf;
    let at = this.at;
    const stop = Math.min(end, k + CHUNK - at);
    for (; k < stop; k++) {
      const c = s.charCodeAt(k);
      if (c < SPACE || c >= 0x7f || c === QUOTE || c === BACKSLASH) break;
      b[at++] = c;
    }
    this.at = at;
    return k;
  }

  /** Text as it is (JSON the caller laid out), its unsafe characters escaped. */
  text(s: string): void {
    for (let k = this.plain(s, 0, s.length); k < s.length; k = this.plain(s, k + 1, s.length)) k = this.char(s, k);
  }

  /** Printable ASCII text (JSON the caller laid out, with nothing to escape), as it is. */
  ascii(s: string): void {
    let b = this.buf;
    let at = this.at;
    for (let k = 0; k < s.length; k++) {
      if (at >= CHUNK) {
        this.at = at;
        this.flush();
        b = this.buf;
        at = 0;
      }
      b[at++] = s.charCodeAt(k);
    }
    this.at = at;
  }

  /** A whole number. */
  int(n: number): void {
    if (n < 0) {
      this.ascii('-');
      n = -n;
    }
    this.room();
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    const b = this.buf;
    for (let k = this.at + digits - 1; k >= this.at; k--, n = Math.floor(n / 10)) b[k] = 0x30 + (n % 10);
    this.at += digits;
  }

  /**
   * The JSON string literal text[from, to) as it is, `prefix` (printable ASCII) put before its
   * first character, if it holds only printable ASCII and no escape: its text is then what
   * JSON.stringify writes for its value, whoever quoted it. False, and nothing written, if not.
   */
  literal(text: string, from: number, to: number, prefix = ''): boolean {
    const size = to - from + prefix.length;
    if (size > CHUNK) return false;
    if (this.at + size > CHUNK) this.flush();
    const b = this.buf;
    let at = this.at;
    b[at++] = QUOTE;
    for (let k = 0; k < prefix.length; k++) b[at++] = prefix.charCodeAt(k);
    for (let k = from + 1; k < to - 1; k++) {
      const c = text.charCodeAt(k);
      if (c < SPACE || c >= 0x7f || c === BACKSLASH) return false;
      b[at++] = c;
    }
    b[at++] = QUOTE;
    this.at = at;
    return true;
  }

  /** A string as JSON.stringify quotes it. */
  string(s: string): void {
    this.room();
    this.buf[this.at++] = QUOTE;
    for (let k = this.plain(s, 0, s.length); k < s.length; k = this.plain(s, k + 1, s.length)) {
      const c = s.charCodeAt(k);
      if (c >= SPACE && c !== QUOTE && c !== BACKSLASH && (c < 0xd800 || c > 0xdfff)) {
        k = this.char(s, k);
        continue;
      }
      this.room();
      const short = c === QUOTE || c === BACKSLASH ? c : SHORT_ESCAPES[c];
      if (short !== undefined) {
        this.buf[this.at++] = BACKSLASH;
        this.buf[this.at++] = short;
      } else if (c < 0x20) this.escape(c);
      else {
        // a surrogate: a pair is written as it is (char() takes both halves), a lone one escaped (well-formed JSON.stringify)
        const low = s.charCodeAt(k + 1);
        if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) k = this.char(s, k);
        else this.escape(c);
      }
    }
    this.room();
    this.buf[this.at++] = QUOTE;
  }

  /**
   * Compact JSON text (text[from, to), as JSON.stringify(value) wrote it: no whitespace) laid
   * out as JSON.stringify(value, null, 2) lays out the value, `level` steps of indentation in:
   * a newline after `{`, `[` and `,` and before `}` and `]` (`{}` and `[]` stay), a space after
   * `:`. Strings are copied as they are (their escapes are JSON.stringify's already). One loop
   * with the chunk in locals: it runs over megabytes of views, mostly before V8 has optimised it.
   */
  laidOut(text: string, from: number, to: number, level: number): void {
    let b = this.buf;
    let at = this.at;
    for (let k = from; k < to; k++) {
      if (at >= CHUNK) {
        this.at = at;
        this.flush();
        b = this.buf;
        at = 0;
      }
      let c = text.charCodeAt(k);
      if (c === QUOTE) {
        // a string: printable ASCII copied byte for byte, anything else through char()
        b[at++] = QUOTE;
        for (k++; k < to; k++) {
          if (at >= CHUNK) {
            this.at = at;
            this.flush();
            b = this.buf;
            at = 0;
          }
          c = text.charCodeAt(k);
          if (c === QUOTE) {
            b[at++] = QUOTE;
            break;
          }
          if (c === BACKSLASH) {
            // an escape (JSON.stringify's: ASCII) is copied whole
            b[at++] = BACKSLASH;
            c = text.charCodeAt(++k);
          }
          if (c >= SPACE && c < 0x7f) b[at++] = c;
          else {
            this.at = at;
            k = this.char(text, k);
            b = this.buf;
            at = this.at;
          }
        }
        continue;
      }
      let indent = -1;
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        b[at++] = c;
        const next = text.charCodeAt(k + 1);
        if (next === CLOSE_BRACE || next === CLOSE_BRACKET) {
          b[at++] = next;
          k++;
        } else indent = ++level;
      } else if (c === COMMA) {
        b[at++] = c;
        indent = level;
      } else if (c === COLON) {
        b[at++] = COLON;
        b[at++] = SPACE;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        indent = --level;
      } else if (c < 0x7f) b[at++] = c; // numbers, true, false, null
      else {
        this.at = at;
        this.char(text, k);
        b = this.buf;
        at = this.at;
      }
      if (indent < 0) continue;
      b[at++] = NEWLINE;
      for (let i = 0; i < indent; i++) {
        if (at >= CHUNK) {
          this.at = at;
          this.flush();
          b = this.buf;
          at = 0;
        }
        b[at++] = SPACE;
        b[at++] = SPACE;
      }
      if (c === CLOSE_BRACE || c === CLOSE_BRACKET) b[at++] = c;
    }
    this.at = at;
  }

  /** Hand out what is left. */
  end(): void {
    if (this.at > 0) this.flush();
  }
}
