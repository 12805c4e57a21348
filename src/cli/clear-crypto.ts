/**
 * The crypto forms of `nvad clear` (Catalyst): `clear crypto session [remote ADDR] [interface NAME]`
 * and `clear crypto ikev2 sa [[remote] ADDR]`, both through `POST /v1/clear/crypto/session`
 * (src/mgmt/api/clear-crypto.ts): deleting an IKE SA deletes its child SAs, so the two commands
 * do the same thing on nvad.
 */
import type { ClearCryptoDto, ClearCryptoRequest } from '../mgmt/api/clear-crypto.js';

export type ParsedCrypto = { ok: true; request: ClearCryptoRequest } | { ok: false; error: string };

const IP_LIKE = /^[0-9a-fA-F:.]+$/;

function address(word: string | undefined): string | null {
  return word !== undefined && IP_LIKE.test(word) ? word : null;
}

/** Parse the words after `clear crypto`. */
export function parseClearCryptoWords(words: readonly string[]): ParsedCrypto {
  const [what, ...rest] = words;
  if (what === 'session') return parseSession(rest);
  if (what === 'ikev2') {
    if (rest[0] !== 'sa') return { ok: false, error: 'expected "clear crypto ikev2 sa [ADDR]"' };
    let w = rest.slice(1);
    if (w[0] === 'remote') w = w.slice(1);
    if (w.length === 0) return { ok: true, request: {} };
    const remote = address(w[0]);
    if (remote === null || w.length > 1) {
      return { ok: false, error: `"${w.join(' ')}" is not an IP address` };
    }
    return { ok: true, request: { remote } };
  }
  return { ok: false, error: 'expected "clear crypto session …" or "clear crypto ikev2 sa …"' };
}

function parseSession(words: readonly string[]): ParsedCrypto {
  let remote: string | undefined;
  let iface: string | undefined;
  for (let i = 0; i < words.length; i += 2) {
    const key = words[i];
    const value = words[i + 1];
    if (key === 'remote') {
      const a = address(value);
      if (a === null) return { ok: false, error: 'remote needs an IP address' };
      remote = a;
    } else if (key === 'interface') {
      if (value === undefined) return { ok: false, error: 'interface needs a name (Tunnel1)' };
      iface = value;
    } else {
      return { ok: false, error: `unexpected "${key ?? ''}" (remote ADDR or interface NAME)` };
    }
  }
  return {
    ok: true,
    request: {
      ...(remote !== undefined ? { remote } : {}),
      ...(iface !== undefined ? { interface: iface } : {}),
    },
  };
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** One line per tunnel cleared. */
export function renderClearCrypto(dto: ClearCryptoDto): string {
  if (dto.sessions.length === 0) return '% no crypto sessions\n';
  return dto.sessions
    .map((s) => {
      const vrf = s.routingContext === null ? '' : `, vrf ${s.routingContext}`;
      const sas =
        s.ikeSas.length === 0
          ? 'no IKE SA'
          : `${plural(s.ikeSas.length, 'IKE SA')} and ${plural(s.childSas, 'child SA')} deleted`;
      const next = s.next === 'reinitiate' ? 're-initiating now' : 'waiting for the peer';
      return `${s.interface} (peer ${s.peer}${vrf}): ${sas}; ${next}\n`;
    })
    .join('');
}
