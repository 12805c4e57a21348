/**
 * `nvad clear ip bgp …`: argument parsing (Catalyst/FRR forms), rendering, and the command against
 * a real API server with a bearer token and a recording action.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as clearMain, parseClearArgs, renderClear } from '../../../src/cli/clear.js';
import { renderClearCrypto } from '../../../src/cli/clear-crypto.js';
import {
  CLEAR_CRYPTO_SESSION,
  type ClearCryptoRequest,
} from '../../../src/mgmt/api/clear-crypto.js';
import { silentLogger } from '../../../src/lib/log.js';
import { BearerAuth } from '../../../src/mgmt/api/auth.js';
import { CLEAR_IP_BGP, type ClearBgpRequest } from '../../../src/mgmt/api/clear-bgp.js';
import { createDaemonMetrics } from '../../../src/mgmt/api/metrics.js';
import { ApiServer } from '../../../src/mgmt/api/server.js';
import { ActionRegistry } from '../../../src/mgmt/show/context.js';
import { SHOW_COMMANDS } from '../../../src/mgmt/show/index.js';
import { fakeContext } from '../mgmt/show/fake-context.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvad-clear-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseClearArgs', () => {
  it.each([
    [['ip', 'bgp', '*'], { neighbor: '*' }],
    [['ip', 'bgp', '169.254.21.2'], { neighbor: '169.254.21.2' }],
    [['ip', 'bgp', '*', 'soft', 'in'], { neighbor: '*', soft: 'in' }],
    [['ip', 'bgp', '169.254.21.2', 'soft', 'out'], { neighbor: '169.254.21.2', soft: 'out' }],
    [['ip', 'bgp', '169.254.21.2', 'soft'], { neighbor: '169.254.21.2', soft: 'both' }],
    [['bgp', '2001:db8::1'], { neighbor: '2001:db8::1' }],
    [
      ['ip', 'bgp', 'vrf', 'outside-one', '10.0.255.254', 'soft', 'in'],
      { neighbor: '10.0.255.254', context: 'outside-one', soft: 'in' },
    ],
    [
      ['ip', 'bgp', '10.0.255.254', '--context', 'outside-one'],
      { neighbor: '10.0.255.254', context: 'outside-one' },
    ],
  ])('%j', (argv, request) => {
    expect(parseClearArgs(argv)).toEqual({
      ok: true,
      args: { action: 'ip bgp', request, json: false },
    });
  });

  it('takes the API options and --json anywhere', () => {
    expect(
      parseClearArgs(['--json', 'ip', 'bgp', '*', '--api', '127.0.0.1:9', '--token-file=/t']),
    ).toEqual({
      ok: true,
      args: {
        action: 'ip bgp',
        request: { neighbor: '*' },
        json: true,
        api: '127.0.0.1:9',
        tokenFile: '/t',
      },
    });
  });

  it.each([
    [['ip', 'route', '*'], 'expected "clear ip bgp …" or "clear crypto …"'],
    [['ip', 'bgp'], 'which neighbor? give * or an address'],
    [['ip', 'bgp', 'azure'], '"azure" is not * or an IP address'],
    [['ip', 'bgp', '*', 'soft', 'sideways'], 'soft takes "in", "out" or nothing (both)'],
    [['ip', 'bgp', '*', 'hard'], 'unexpected "hard"'],
    [['ip', 'bgp', 'vrf'], 'vrf needs a name'],
    [['ip', 'bgp', '*', '--api'], '--api needs a value'],
    [['ip', 'bgp', '*', '--force'], 'unknown option --force'],
  ])('rejects %j', (argv, error) => {
    expect(parseClearArgs(argv)).toEqual({ ok: false, error });
  });
});

describe('parseClearArgs: clear crypto', () => {
  it.each([
    [['crypto', 'session'], {}],
    [['crypto', 'session', 'remote', '10.0.0.2'], { remote: '10.0.0.2' }],
    [['crypto', 'session', 'interface', 'Tunnel1'], { interface: 'Tunnel1' }],
    [
      ['crypto', 'session', 'interface', 'Tunnel1', 'remote', '2001:db8::2'],
      { remote: '2001:db8::2', interface: 'Tunnel1' },
    ],
    [['crypto', 'ikev2', 'sa'], {}],
    [['crypto', 'ikev2', 'sa', '10.0.0.2'], { remote: '10.0.0.2' }],
    [['crypto', 'ikev2', 'sa', 'remote', '10.0.0.2'], { remote: '10.0.0.2' }],
  ])('%j', (argv, request) => {
    expect(parseClearArgs([...argv, '--json', '--api', '127.0.0.1:9'])).toEqual({
      ok: true,
      args: { action: 'crypto session', request, json: true, api: '127.0.0.1:9' },
    });
  });

  it.each([
    [['crypto'], 'expected "clear crypto session …" or "clear crypto ikev2 sa …"'],
    [['crypto', 'sa'], 'expected "clear crypto session …" or "clear crypto ikev2 sa …"'],
    [['crypto', 'ikev2'], 'expected "clear crypto ikev2 sa [ADDR]"'],
    [['crypto', 'ikev2', 'sa', 'peer-one'], '"peer-one" is not an IP address'],
    [['crypto', 'session', 'remote'], 'remote needs an IP address'],
    [['crypto', 'session', 'remote', 'azure'], 'remote needs an IP address'],
    [['crypto', 'session', 'interface'], 'interface needs a name (Tunnel1)'],
    [
      ['crypto', 'session', 'local', '10.0.0.1'],
      'unexpected "local" (remote ADDR or interface NAME)',
    ],
    [['crypto', 'session', '--context', 'red'], '--context is for clear ip bgp'],
  ])('rejects %j', (argv, error) => {
    expect(parseClearArgs(argv)).toEqual({ ok: false, error });
  });

  it('renders one line per cleared tunnel', () => {
    expect(
      renderClearCrypto({
        sessions: [
          {
            interface: 'Tunnel1',
            peer: '10.0.0.2',
            routingContext: null,
            ikeSas: [{ spiI: '0102030405060708', spiR: '1112131415161718', state: 'established' }],
            childSas: 1,
            next: 'reinitiate',
          },
          {
            interface: 'Tunnel2',
            peer: '10.0.0.3',
            routingContext: 'outside-one',
            ikeSas: [],
            childSas: 0,
            next: 'wait-for-peer',
          },
        ],
      }),
    ).toBe(
      'Tunnel1 (peer 10.0.0.2): 1 IKE SA and 1 child SA deleted; re-initiating now\n' +
        'Tunnel2 (peer 10.0.0.3, vrf outside-one): no IKE SA; waiting for the peer\n',
    );
    expect(renderClearCrypto({ sessions: [] })).toBe('% no crypto sessions\n');
  });
});

describe('renderClear', () => {
  it('prints one line per neighbor', () => {
    expect(
      renderClear({
        neighbors: [
          { neighbor: 'a', address: '169.254.21.2', routingContext: null, actions: ['reset'] },
          {
            neighbor: 'b',
            address: '10.0.255.254',
            routingContext: 'red',
            actions: ['route-refresh', 'soft-out'],
          },
        ],
      }),
    ).toBe(
      '169.254.21.2: reset (Cease/Administrative Reset sent, session restarting)\n' +
        '10.0.255.254 (vrf red): ROUTE-REFRESH sent, outbound table re-advertised\n',
    );
    expect(renderClear({ neighbors: [] })).toBe('% no BGP neighbors\n');
  });
});

describe('nvad clear against the API', () => {
  const servers: ApiServer[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function server(
    seen: ClearBgpRequest[],
    seenCrypto: ClearCryptoRequest[] = [],
  ): Promise<string> {
    const actions = new ActionRegistry();
    actions.provide(CLEAR_CRYPTO_SESSION, (req) => {
      seenCrypto.push(req);
      if (req.remote !== undefined && req.remote !== '10.0.0.2') return undefined;
      return {
        sessions: [
          {
            interface: 'Tunnel1',
            peer: '10.0.0.2',
            routingContext: null,
            ikeSas: [{ spiI: '0102030405060708', spiR: '1112131415161718', state: 'established' }],
            childSas: 1,
            next: 'reinitiate' as const,
          },
        ],
      };
    });
    actions.provide(CLEAR_IP_BGP, (req) => {
      seen.push(req);
      if (req.neighbor !== '*' && req.neighbor !== '169.254.21.2') return undefined;
      return {
        neighbors: [
          {
            neighbor: '169.254.21.2',
            address: '169.254.21.2',
            routingContext: null,
            actions: [req.soft === undefined ? ('reset' as const) : ('route-refresh' as const)],
          },
        ],
      };
    });
    const s = new ApiServer({
      listen: { host: '127.0.0.1', port: 0 },
      auth: new BearerAuth('tok-123'),
      logger: silentLogger(),
      registry: createDaemonMetrics({ version: '0', interfacesUp: () => Promise.resolve(0) })
        .registry,
      commands: SHOW_COMMANDS,
      context: fakeContext().ctx,
      actions,
      status: () => {
        throw new Error('unused');
      },
    });
    const a = await s.start();
    servers.push(s);
    return `127.0.0.1:${a.port}`;
  }

  function capture(): { out: () => string; err: () => string } {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
      out += String(c);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
      err += String(c);
      return true;
    });
    return { out: () => out, err: () => err };
  }

  it('posts the request with the token and prints the answer', async () => {
    const seen: ClearBgpRequest[] = [];
    const api = await server(seen);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'tok-123\n');
    const io = capture();
    const code = await clearMain([
      'ip',
      'bgp',
      '*',
      'soft',
      'in',
      '--api',
      api,
      '--token-file',
      tokenFile,
    ]);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(io.out()).toBe('169.254.21.2: ROUTE-REFRESH sent\n');
    expect(seen).toEqual([{ neighbor: '*', soft: 'in' }]);
  });

  it('reports an unknown neighbor, a missing token and usage errors with exit codes', async () => {
    const seen: ClearBgpRequest[] = [];
    const api = await server(seen);
    const tokenFile = join(dir, 'token2');
    writeFileSync(tokenFile, 'tok-123\n');
    const io = capture();
    expect(
      await clearMain(['ip', 'bgp', '192.0.2.1', '--api', api, '--token-file', tokenFile]),
    ).toBe(1);
    expect(io.err()).toBe('nvad clear: no such BGP neighbor\n');
    expect(await clearMain(['ip', 'bgp', '*', '--api', api])).toBe(1);
    expect(io.err()).toContain('API refused the request: authorization required');
    expect(io.err()).not.toContain('tok-123');
    expect(await clearMain(['ip', 'bgp', 'x'])).toBe(2);
    expect(await clearMain([])).toBe(2);
    expect(seen).toEqual([{ neighbor: '192.0.2.1' }]);
  });

  it('clear crypto session / ikev2 sa post to /v1/clear/crypto/session', async () => {
    const seenCrypto: ClearCryptoRequest[] = [];
    const api = await server([], seenCrypto);
    const tokenFile = join(dir, 'token3');
    writeFileSync(tokenFile, 'tok-123\n');
    const io = capture();
    const common = ['--api', api, '--token-file', tokenFile];
    expect(await clearMain(['crypto', 'session', 'interface', 'Tunnel1', ...common])).toBe(0);
    expect(io.out()).toBe(
      'Tunnel1 (peer 10.0.0.2): 1 IKE SA and 1 child SA deleted; re-initiating now\n',
    );
    expect(await clearMain(['crypto', 'ikev2', 'sa', '10.0.0.2', '--json', ...common])).toBe(0);
    expect(io.out()).toContain('"next": "reinitiate"');
    expect(await clearMain(['crypto', 'session', 'remote', '192.0.2.9', ...common])).toBe(1);
    expect(io.err()).toBe('nvad clear: no such crypto session (unknown remote or interface)\n');
    expect(seenCrypto).toEqual([
      { interface: 'Tunnel1' },
      { remote: '10.0.0.2' },
      { remote: '192.0.2.9' },
    ]);
  });
});
