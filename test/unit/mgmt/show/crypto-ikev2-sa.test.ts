/**
 * `show crypto ikev2 sa [detail]` and `show crypto session`: Catalyst layout from a fixed IKE view,
 * argument checking, and the documented JSON contracts in docs/show-json.md.
 */
import { describe, expect, it } from 'vitest';
import { documentedFields, fieldPaths } from '../../../support/json-contract.js';
import type { IkeSaSnapshot } from '../../../../src/ike/index.js';
import {
  IKE_SA_VIEW,
  showCryptoIkev2Sa,
  type CryptoIkev2SaDto,
  type IkeSaQuery,
} from '../../../../src/mgmt/show/commands/crypto-ikev2-sa.js';
import {
  showCryptoSession,
  type CryptoSessionDto,
} from '../../../../src/mgmt/show/commands/crypto-session.js';
import { resolveShow, SHOW_COMMANDS, ShowError } from '../../../../src/mgmt/show/index.js';
import { fakeContext } from './fake-context.js';

const SA: IkeSaSnapshot = {
  tunnel: 'Tunnel1',
  local: '10.210.1.2/4500',
  remote: '198.51.100.2/4500',
  state: 'established',
  role: 'initiator',
  spiI: '8b1f0a2c3d4e5f60',
  spiR: '0123456789abcdef',
  encryption: 'aes-cbc-256',
  integrity: 'sha1',
  prf: 'sha1',
  dhGroup: 'modp1024',
  natDetected: true,
  messageIds: { nextRequest: 7, nextPeerRequest: 3 },
  peerIdentity: 'ipv4:198.51.100.2',
  ageSec: 3277,
  lastError: null,
  children: [
    {
      spiIn: 'c0ffee01',
      spiOut: 'c0ffee02',
      state: 'installed',
      encryption: 'aes-cbc-256',
      integrity: 'sha1',
      pfsGroup: null,
      esn: false,
      ageSec: 10,
    },
  ],
  counters: {
    exchangesInitiated: 2,
    exchangesResponded: 0,
    retransmits: 0,
    failuresByNotify: {},
  },
};

function query(sas: IkeSaSnapshot[]): IkeSaQuery {
  return {
    sas: () => sas,
    tunnels: () => [
      {
        name: 'Tunnel1',
        peer: '198.51.100.2',
        routingContext: null,
        lineProtocolUp: true,
        localId: '203.0.113.2',
        ikeLifetimeSec: 86400,
      },
      {
        name: 'Tunnel2',
        peer: '198.51.100.3',
        routingContext: 'outside-two',
        lineProtocolUp: false,
        localId: '203.0.113.2',
        ikeLifetimeSec: 28800,
      },
    ],
  };
}

function ctxWith(sas: IkeSaSnapshot[]) {
  const { ctx, views } = fakeContext();
  views.provide(IKE_SA_VIEW, query(sas));
  return ctx;
}

describe('show crypto ikev2 sa', () => {
  it('renders the Catalyst layout', async () => {
    const dto = await showCryptoIkev2Sa.collect(ctxWith([SA]), []);
    expect(showCryptoIkev2Sa.render(dto)).toBe(
      [
        ' IPv4 Crypto IKEv2  SA',
        '',
        'Tunnel-id Local                 Remote                fvrf/ivrf            Status',
        '1         10.210.1.2/4500       198.51.100.2/4500     none/none            READY',
        '      Encr: AES-CBC, keysize: 256, PRF: SHA1, Hash: SHA96, DH Grp:2, Auth sign: PSK, Auth verify: PSK',
        '      Life/Active Time: 86400/3277 sec',
        '',
        '',
      ].join('\n'),
    );
  });

  it('detail adds SPIs, identities, child count and NAT state', async () => {
    const { command, args } = resolveShow(SHOW_COMMANDS, ['cry', 'ikev2', 'sa', 'det']);
    expect(command).toBe(showCryptoIkev2Sa);
    const dto = (await command.collect(ctxWith([SA]), args)) as CryptoIkev2SaDto;
    expect(dto.detail).toBe(true);
    const text = command.render(dto);
    expect(text).toContain('      Local spi: 8B1F0A2C3D4E5F60       Remote spi: 0123456789ABCDEF');
    expect(text).toContain('      Local id: 203.0.113.2');
    expect(text).toContain('      Remote id: 198.51.100.2');
    expect(text).toContain('      Child SAs: 1');
    expect(text).toContain('      NAT-T is detected');
    expect(text).toContain('      Local next msg id: 7       Remote next msg id: 3');
    expect(text).toContain('      Local window: 1       Remote window: 1');
  });

  it('rejects unknown arguments and skips destroyed SAs', async () => {
    expect(() => showCryptoIkev2Sa.collect(ctxWith([SA]), ['brief'])).toThrow(ShowError);
    const dto = await showCryptoIkev2Sa.collect(ctxWith([{ ...SA, state: 'destroyed' }]), []);
    expect(dto.sas).toEqual([]);
    expect(showCryptoIkev2Sa.render(dto)).toContain('No IKEv2 SAs');
  });

  it('JSON matches the documented contract', async () => {
    const dto = await showCryptoIkev2Sa.collect(ctxWith([SA]), []);
    expect(fieldPaths([dto])).toEqual(documentedFields('crypto ikev2 sa'));
    expect(dto.sas[0]).toMatchObject({ dhGroup: 2, integrity: 'SHA96', remoteId: '198.51.100.2' });
  });
});

describe('show crypto session', () => {
  it('renders UP-ACTIVE for the tunnel with an IKE SA and a child, DOWN for the other', async () => {
    const dto = await showCryptoSession.collect(ctxWith([SA]), []);
    expect(showCryptoSession.render(dto)).toBe(
      [
        'Crypto session current status',
        '',
        'Interface: Tunnel1',
        'Session status: UP-ACTIVE',
        'Peer: 198.51.100.2 port 4500',
        '  IKEv2 SA: local 10.210.1.2/4500 remote 198.51.100.2/4500 Active',
        '  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0',
        '        Active SAs: 2, origin: crypto map',
        '',
        'Interface: Tunnel2',
        'Session status: DOWN',
        'Peer: 198.51.100.3 port 500',
        '  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0',
        '        Active SAs: 0, origin: crypto map',
        '',
        '',
      ].join('\n'),
    );
  });

  it('UP-IDLE without a child, DOWN-NEGOTIATING while connecting', async () => {
    const idle = await showCryptoSession.collect(ctxWith([{ ...SA, children: [] }]), []);
    expect(idle.sessions[0]?.status).toBe('UP-IDLE');
    const neg = await showCryptoSession.collect(
      ctxWith([{ ...SA, state: 'connecting', children: [] }]),
      [],
    );
    expect(neg.sessions[0]?.status).toBe('DOWN-NEGOTIATING');
    expect(neg.sessions[0]?.ikeSas[0]?.state).toBe('Negotiating');
  });

  it('JSON matches the documented contract', async () => {
    const dto: CryptoSessionDto = await showCryptoSession.collect(ctxWith([SA]), []);
    expect(fieldPaths([dto])).toEqual(documentedFields('crypto session'));
    expect(dto.sessions[1]?.ivrf).toBe('outside-two');
  });

  it('without the IKE component there are no sessions', async () => {
    const { ctx } = fakeContext();
    const dto = await showCryptoSession.collect(ctx, []);
    expect(dto).toEqual({ sessions: [] });
    expect(showCryptoSession.render(dto)).toContain('No crypto sessions');
  });
});
