// The template layer: every value put into a page goes through `h`, which escapes it unless
// it is already Html made by `h`. Record fields (names, params, paths, messages) come from
// anyone who can push to the store, so there is no other way to put text into a page.
// Values land only in element text and double-quoted attributes — never in <script>,
// on* attributes, CSS or unquoted attributes (the CSP forbids inline script and style too).

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === undefined || v === null || v === false) return '';
  return esc(v);
}

/** A template whose interpolations are escaped (Html and arrays of Html pass as they are). */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup made by this module's callers from constants (never from record values). */
export function trusted(text: string): Html {
  return new Html(text);
}

/**
 * Data for the page's script, as a non-executed `<script type="application/json">` block.
 * `<`, `>`, `&` and the JS line separators are escaped as \u sequences, so no value can
 * close the element or start a comment; JSON.parse gives back the same values.
 */
export function jsonBlock(cls: string, value: unknown): Html {
  const json = JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return new Html(`<script type="application/json" class="${esc(cls)}">${json}</script>`);
}

/** Long text cut for display; the JSON twin holds the whole value. */
export function cut(s: string, max = 300): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s;
}

/** Only http(s) links from records are clickable: a `javascript:` uri stays text. */
export function safeUrl(s: unknown): string | undefined {
  return typeof s === 'string' && /^https?:\/\/[^\s]+$/i.test(s) ? s : undefined;
}

export function fmtNumber(v: unknown): string {
  if (typeof v !== 'number') return v === undefined || v === null ? '' : String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

export function fmtBytes(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (x >= 1000 && i < units.length - 1) { x /= 1000; i++; }
  return `${i === 0 ? x : x.toPrecision(3)} ${units[i]}`;
}

export function fmtTime(iso: unknown): string {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '';
}
