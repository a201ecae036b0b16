// `verify --signatures`: the signature records among (or signing) the checked records,
// checked with ssh-keygen against the allowed signers, as findings with stable ids.
import type { Finding } from '../api/verify.js';
import type { Store } from '../api/store.js';
import type { RecordBody } from '../records/record.js';
import { resolveTrust, type TrustOptions } from './keys.js';
import { checkSignature, signaturesOf } from './sign.js';

type SigFinding = Pick<Finding, 'finding' | 'id' | 'message'>;

export function signatureFindings(store: Store, records: Map<string, RecordBody>, whole: boolean, opts: TrustOptions): SigFinding[] {
  const trust = resolveTrust(store, opts);
  const findings: SigFinding[] = [];
  const sigIds = new Set<string>();
  for (const [id, rec] of records) {
    if (rec.kind === 'signature') sigIds.add(id);
    else if (!whole) for (const s of signaturesOf(store, id)) sigIds.add(s);
  }
  if (sigIds.size && !trust.allowedSigners) {
    findings.push({ finding: 'NO_ALLOWED_SIGNERS', message: 'no allowed-signers file (git config gpg.ssh.allowedSignersFile, or --allowed-signers): signatures were checked against their bytes only, not whose key made them' });
  }
  if (trust.allowedInRepo) {
    findings.push({ finding: 'ALLOWED_SIGNERS_IN_REPO', message: `the allowed-signers file ${trust.allowedSigners} is inside the repository: whoever can commit can add themselves` });
  }
  for (const id of [...sigIds].sort()) {
    const c = checkSignature(store, id, trust);
    const about = `${id}: signature${c.signed ? ` of ${c.signed}` : ''}`;
    if (c.status === 'bad' || c.status === 'malformed') findings.push({ finding: 'BAD_SIGNATURE', id, message: `${about} does not verify: ${c.detail}` });
    else if (c.status === 'untrusted') findings.push({ finding: 'UNTRUSTED_SIGNATURE', id, message: `${about}: ${c.detail}` });
    else if (c.status === 'expired') findings.push({ finding: 'KEY_EXPIRED', id, message: `${about}: ${c.detail}` });
    else if (c.status === 'revoked') findings.push({ finding: 'KEY_REVOKED', id, message: `${about}: ${c.detail}` });
    // 'missing-subject' is a MISSING_PARENT already; 'valid' and 'no-trust' need no finding of their own.
  }
  return findings;
}
