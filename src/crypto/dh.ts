/**
 * Key exchange groups for IKEv2 (RFC 7296 §3.4):
 * - MODP groups 2 (RFC 2409 §6.2), 14 (RFC 3526 §3) and 24 (RFC 5114 §2.3). Public values are
 *   zero-padded to the prime length; the shared secret g^ir likewise (RFC 7296 §2.14).
 *   Peer values are range-checked 1 < y < p-1 (RFC 6989 §2.1); for group 24 also
 *   y^q mod p == 1 (RFC 6989 §2.2, subgroup of prime order q).
 * - ECP groups 19/20 (RFC 5903): the KE data is x || y (§7, no 0x04 prefix); the shared secret is
 *   the x coordinate (§9, RFC 5903 errata fixed). The peer point is checked to lie on the curve
 *   (coordinates < p and y^2 = x^3 - 3x + b); both curves have cofactor 1.
 * - Curve25519 (RFC 8031): 32-byte u-coordinates; an all-zero shared secret is rejected (§2).
 * Private values come from the injected Rng so tests are deterministic.
 */
import {
  createDiffieHellman,
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type DiffieHellman,
} from 'node:crypto';
import { AssertionError } from '../lib/errors.js';
import type { Rng } from '../lib/rng.js';
import { KeyExchangeError } from './errors.js';
import { DH_GROUP, type DhGroupName } from './transforms.js';

/** One side of a Diffie-Hellman exchange. */
export interface KeyExchange {
  readonly group: DhGroupName;
  readonly ianaId: number;
  /** Our Key Exchange Data as it goes on the wire. */
  readonly publicKey: Buffer;
  /** g^ir from the peer's Key Exchange Data; throws {@link KeyExchangeError} on a bad value. */
  computeSharedSecret(peer: Buffer): Buffer;
}

const MODP_1024_P =
  'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd' +
  'ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed' +
  'ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff';

const MODP_2048_P =
  'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd' +
  'ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed' +
  'ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f' +
  '83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b' +
  'e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510' +
  '15728e5a8aacaa68ffffffffffffffff';

/** RFC 5114 §2.3: 2048-bit MODP Group with 256-bit Prime Order Subgroup. */
export const RFC5114_2048_256 = {
  p:
    '87a8e61db4b6663cffbbd19c651959998ceef608660dd0f25d2ceed4435e3b00e00df8f1d61957d4faf7df4561b2aa30' +
    '16c3d91134096faa3bf4296d830e9a7c209e0c6497517abd5a8a9d306bcf67ed91f9e6725b4758c022e0b1ef4275bf7b' +
    '6c5bfc11d45f9088b941f54eb1e59bb8bc39a0bf12307f5c4fdb70c581b23f76b63acae1caa6b7902d52526735488a0e' +
    'f13c6d9a51bfa4ab3ad8347796524d8ef6a167b5a41825d967e144e5140564251ccacb83e6b486f6b3ca3f7971506026' +
    'c0b857f689962856ded4010abd0be621c3a3960a54e710c375f26375d7014103a4b54330c198af126116d2276e11715f' +
    '693877fad7ef09cadb094ae91e1a1597',
  g:
    '3fb32c9b73134d0b2e77506660edbd484ca7b18f21ef205407f4793a1a0ba12510dbc15077be463fff4fed4aac0bb555' +
    'be3a6c1b0c6b47b1bc3773bf7e8c6f62901228f8c28cbb18a55ae31341000a650196f931c77a57f2ddf463e5e9ec144b' +
    '777de62aaab8a8628ac376d282d6ed3864e67982428ebc831d14348f6f2f9193b5045af2767164e1dfc967c1fb3f2e55' +
    'a4bd1bffe83b9c80d052b985d182ea0adb2a3b7313d3fe14c8484b1e052588b9b7d2bbd2df016199ecd06e1557cd0915' +
    'b3353bbb64e0ec377fd028370df92b52c7891428cdc67eb6184b523d1db246c32f63078490f00ef8d647d148d4795451' +
    '5e2327cfef98c582664b4c0f6cc41659',
  q: '8cf83642a709a097b447997640129da299b1a47d1eb3750ba308b0fe64f5fbd3',
} as const;

interface ModpParams {
  readonly p: bigint;
  readonly pBuf: Buffer;
  readonly g: Buffer;
  /** Prime order of the generator's subgroup, when the group has one (RFC 5114). */
  readonly q: bigint | null;
}

function modp(pHex: string, gHex: string, qHex: string | null): ModpParams {
  return {
    p: BigInt(`0x${pHex}`),
    pBuf: Buffer.from(pHex, 'hex'),
    g: Buffer.from(gHex, 'hex'),
    q: qHex === null ? null : BigInt(`0x${qHex}`),
  };
}

const MODP: Partial<Record<DhGroupName, ModpParams>> = {
  modp1024: modp(MODP_1024_P, '02', null),
  modp2048: modp(MODP_2048_P, '02', null),
  modp2048s256: modp(RFC5114_2048_256.p, RFC5114_2048_256.g, RFC5114_2048_256.q),
};

/** Curve parameters for the point check (FIPS 186-4 D.1.2.3 / D.1.2.4; a = -3). */
const ECP = {
  ecp256: {
    curve: 'prime256v1',
    bytes: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  ecp384: {
    curve: 'secp384r1',
    bytes: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
} as const;

export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

function toBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

function leftPad(b: Buffer, len: number): Buffer {
  if (b.length === len) return b;
  if (b.length > len) throw new AssertionError('value longer than field');
  const out = Buffer.alloc(len);
  b.copy(out, len - b.length);
  return out;
}

/** RFC 6989 §2.1/§2.2 checks of a peer's MODP public value. */
export function checkModpPublic(params: Pick<ModpParams, 'p' | 'q'>, y: bigint): void {
  if (y <= 1n || y >= params.p - 1n) throw new KeyExchangeError('MODP public value out of range');
  if (params.q !== null && modPow(y, params.q, params.p) !== 1n) {
    throw new KeyExchangeError('MODP public value not in the prime-order subgroup');
  }
}

/** RFC 5903: the point (x, y) must lie on the curve. */
export function checkEcpPoint(group: 'ecp256' | 'ecp384', data: Buffer): void {
  const c = ECP[group];
  if (data.length !== 2 * c.bytes) throw new KeyExchangeError('ECP public value length');
  const x = toBigInt(data.subarray(0, c.bytes));
  const y = toBigInt(data.subarray(c.bytes));
  if (x >= c.p || y >= c.p) throw new KeyExchangeError('ECP coordinate out of range');
  const lhs = (y * y) % c.p;
  const rhs = (((x * x * x - 3n * x + c.b) % c.p) + c.p) % c.p;
  if (lhs !== rhs) throw new KeyExchangeError('ECP point not on curve');
}

/**
 * One OpenSSL DH object per group, created lazily: creating one checks the prime, which takes
 * ~100 ms for the 1024-bit group. Each use sets its private value first; the calls are
 * synchronous, so sharing is safe on the event loop.
 */
const sharedDh = new Map<ModpParams, DiffieHellman>();

function dhFor(params: ModpParams, priv: Buffer): DiffieHellman {
  let dh = sharedDh.get(params);
  if (!dh) {
    dh = createDiffieHellman(params.pBuf, params.g);
    sharedDh.set(params, dh);
  }
  dh.setPrivateKey(priv);
  return dh;
}

function modpExchange(group: DhGroupName, params: ModpParams, priv: Buffer): KeyExchange {
  const len = params.pBuf.length;
  // DH_generate_key recomputes g^x from the private value that is set.
  const publicKey = leftPad(dhFor(params, priv).generateKeys(), len);
  return {
    group,
    ianaId: DH_GROUP[group].ianaId,
    publicKey,
    computeSharedSecret(peer) {
      if (peer.length !== len) throw new KeyExchangeError('MODP public value length');
      checkModpPublic(params, toBigInt(peer));
      return leftPad(dhFor(params, priv).computeSecret(peer), len);
    },
  };
}

function ecpExchange(group: 'ecp256' | 'ecp384', priv: Buffer): KeyExchange {
  const c = ECP[group];
  const ecdh = createECDH(c.curve);
  ecdh.setPrivateKey(priv);
  const publicKey = ecdh.getPublicKey().subarray(1); // strip the SEC1 0x04 prefix (RFC 5903 §7)
  return {
    group,
    ianaId: DH_GROUP[group].ianaId,
    publicKey,
    computeSharedSecret(peer) {
      checkEcpPoint(group, peer);
      try {
        return leftPad(ecdh.computeSecret(Buffer.concat([Buffer.of(4), peer])), c.bytes);
      } catch {
        throw new KeyExchangeError('ECP point rejected');
      }
    },
  };
}

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

function x25519Exchange(priv: Buffer): KeyExchange {
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8, priv]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = Buffer.from(spki.subarray(spki.length - 32));
  return {
    group: 'x25519',
    ianaId: DH_GROUP.x25519.ianaId,
    publicKey,
    computeSharedSecret(peer) {
      if (peer.length !== 32) throw new KeyExchangeError('X25519 public value length');
      let secret: Buffer;
      try {
        const pub = createPublicKey({
          key: Buffer.concat([X25519_SPKI, peer]),
          format: 'der',
          type: 'spki',
        });
        secret = diffieHellman({ privateKey, publicKey: pub });
      } catch {
        throw new KeyExchangeError('X25519 public value rejected');
      }
      // RFC 8031 §2: an all-zero result MUST be rejected.
      if (secret.every((b) => b === 0)) throw new KeyExchangeError('X25519 all-zero secret');
      return secret;
    },
  };
}

/** Private value bytes drawn for each group. */
function privateBytes(group: DhGroupName, rng: Rng): Buffer {
  const params = MODP[group];
  if (params) {
    if (params.q !== null) {
      // RFC 5114 / SP 800-56A: x in [1, q-1]; 64 extra bits make the modulo bias negligible.
      const x = (toBigInt(rng.bytes(40)) % (params.q - 1n)) + 1n;
      return Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
    }
    // 256-bit exponents: at least twice the strength of these groups (RFC 3526 §8).
    const x = rng.bytes(32);
    x[0] = (x[0] ?? 0) | 0x80;
    return x;
  }
  if (group === 'ecp256' || group === 'ecp384') {
    const c = ECP[group];
    // The group order n is within 2^-32 of 2^bits; retry until 0 < d < n via OpenSSL's check.
    return rng.bytes(c.bytes);
  }
  return rng.bytes(32);
}

/** Our side of a key exchange from a given private value (vectors, deterministic tests). */
export function keyExchangeFromPrivate(group: DhGroupName, priv: Buffer): KeyExchange {
  const params = MODP[group];
  if (params) return modpExchange(group, params, priv);
  if (group === 'ecp256' || group === 'ecp384') return ecpExchange(group, priv);
  if (group === 'x25519') return x25519Exchange(priv);
  throw new AssertionError(`unsupported group ${group}`);
}

/** A fresh key exchange with a private value from `rng`. */
export function createKeyExchange(group: DhGroupName, rng: Rng): KeyExchange {
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      return keyExchangeFromPrivate(group, privateBytes(group, rng));
    } catch (e) {
      // An ECP scalar >= n (probability ~2^-32) is refused by OpenSSL; draw again.
      if (!(group === 'ecp256' || group === 'ecp384')) throw e;
    }
  }
  throw new AssertionError(`could not create a ${group} key`);
}

/** Look up our group name by IANA transform ID, or null when unsupported. */
export function dhGroupByIanaId(id: number): DhGroupName | null {
  for (const [name, g] of Object.entries(DH_GROUP)) {
    if (g.ianaId === id) return name as DhGroupName;
  }
  return null;
}
