/**
 * `POST /v1/clear/crypto/session`: body validation, the route through the shared action plumbing
 * (same auth, 400/404/405/503 rules as `clear ip bgp`), and the answer handed back unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeActionServers, post, startActionServer } from './action-server.js';
import { ActionInputError } from '../../../../src/mgmt/api/action-input.js';
import {
  CLEAR_CRYPTO_SESSION,
  parseClearCryptoRequest,
  type ClearCryptoDto,
  type ClearCryptoRequest,
} from '../../../../src/mgmt/api/clear-crypto.js';
import { ActionRegistry } from '../../../../src/mgmt/show/context.js';

afterEach(closeActionServers);

const ANSWER: ClearCryptoDto = {
  sessions: [
    {
      interface: 'Tunnel1',
      peer: '198.51.100.2',
      routingContext: null,
      ikeSas: [{ spiI: '0102030405060708', spiR: '1112131415161718', state: 'established' }],
      childSas: 1,
      next: 'reinitiate',
    },
  ],
};

async function start(opts: { token?: string; provide?: boolean } = {}): Promise<{
  base: string;
  seen: ClearCryptoRequest[];
}> {
  const seen: ClearCryptoRequest[] = [];
  const actions = new ActionRegistry();
  if (opts.provide ?? true) {
    actions.provide(CLEAR_CRYPTO_SESSION, (req) => {
      seen.push(req);
      const known =
        (req.remote === undefined || req.remote === '198.51.100.2') &&
        (req.interface === undefined || req.interface.toLowerCase() === 'tunnel1');
      return known ? ANSWER : undefined;
    });
  }
  const base = await startActionServer(
    actions,
    opts.token !== undefined ? { token: opts.token } : {},
  );
  return { base, seen };
}

function postClear(
  base: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return post(`${base}/v1/clear/crypto/session`, body, headers);
}

describe('parseClearCryptoRequest', () => {
  it.each([
    [{}, {}],
    [{ remote: '198.51.100.2' }, { remote: '198.51.100.2' }],
    [{ remote: '2001:DB8::0:2' }, { remote: '2001:db8::2' }],
    [{ interface: 'Tunnel1' }, { interface: 'Tunnel1' }],
    [
      { remote: '198.51.100.2', interface: 'Tunnel1' },
      { remote: '198.51.100.2', interface: 'Tunnel1' },
    ],
  ])('accepts %j', (body, want) => {
    expect(parseClearCryptoRequest(body)).toEqual(want);
  });

  it.each([
    [null, 'body must be a JSON object'],
    ['Tunnel1', 'body must be a JSON object'],
    [{ remote: 'peer-one' }, '"remote" must be an IP address'],
    [{ remote: 3 }, '"remote" must be an IP address'],
    [{ interface: '' }, '"interface" must be a tunnel interface name'],
    [{ interface: ['Tunnel1'] }, '"interface" must be a tunnel interface name'],
    [{ psk: 'x' }, 'unknown field "psk"'],
  ])('rejects %j', (body, message) => {
    expect(() => parseClearCryptoRequest(body)).toThrow(ActionInputError);
    expect(() => parseClearCryptoRequest(body)).toThrow(message);
  });
});

describe('POST /v1/clear/crypto/session', () => {
  it('runs the action with the validated request and answers its DTO', async () => {
    const { base, seen } = await start();
    const all = await postClear(base, '{}');
    expect(all.status).toBe(200);
    expect(await all.json()).toEqual(ANSWER);
    const one = await postClear(base, '{"interface":"tunnel1","remote":"198.51.100.2"}');
    expect(one.status).toBe(200);
    expect(seen).toEqual([{}, { remote: '198.51.100.2', interface: 'tunnel1' }]);
  });

  it('404 for an unknown remote or interface', async () => {
    const { base } = await start();
    for (const body of ['{"remote":"192.0.2.1"}', '{"interface":"Tunnel9"}']) {
      const res = await postClear(base, body);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { status: 404, message: 'no such crypto session (unknown remote or interface)' },
      });
    }
  });

  it('400 for bad JSON or fields, 405 for GET, 503 without the IKE component', async () => {
    const { base, seen } = await start();
    expect((await postClear(base, '{remote:')).status).toBe(400);
    const bad = await postClear(base, '{"remote":"nowhere"}');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      '"remote" must be an IP address',
    );
    const get = await fetch(`${base}/v1/clear/crypto/session`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(seen).toEqual([]);
    const none = await start({ provide: false });
    const res = await postClear(none.base, '{}');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { status: 503, message: 'clear crypto session is not available' },
    });
  });

  it('needs the bearer token', async () => {
    const { base, seen } = await start({ token: 'crypto-token-1' });
    expect((await postClear(base, '{}')).status).toBe(401);
    expect((await postClear(base, '{}', { authorization: 'Bearer nope' })).status).toBe(401);
    expect(seen).toEqual([]);
    const ok = await postClear(base, '{}', { authorization: 'Bearer crypto-token-1' });
    expect(ok.status).toBe(200);
    expect(seen).toEqual([{}]);
  });
});
