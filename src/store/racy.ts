// git's "racily clean" rule, for every cache that trusts an mtime (the index's shards, the
// mirror's subtrees, the hash cache): a file or folder whose mtime is this close to the
// clock when it was read may still change within the same timestamp tick, so what was read
// is not trusted next time. 3 s covers 2 s timestamps (FAT, some network file systems) and
// a little clock skew between a file server and this host.
export const RACY_MS = 3000;

/** Whether an mtime (ns, as `statSync(…, { bigint: true })` gives it) is too recent to trust. */
export function isRacy(mtimeNs: bigint, nowMs: number = Date.now()): boolean {
  return BigInt(nowMs) * 1_000_000n - mtimeNs < BigInt(RACY_MS) * 1_000_000n;
}
