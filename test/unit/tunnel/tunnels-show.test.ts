/**
 * `show crypto ipsec sa`: DTO mapping from the tunnels view, the Catalyst text layout, transform
 * words, and the documented JSON contract (docs/show-json.md, `<!-- contract: crypto ipsec sa -->`).
 */
import { describe, expect, it } from 'vitest';
import { documentedFields, fieldPaths } from '../../support/json-contract.js';
import {
  TUNNELS_SA_VIEW,
  catalystTransform,
  showCryptoIpsecSa,
  type IpsecTunnelInfo,
  type TunnelSaQuery,
} from '../../../src/mgmt/show/commands/crypto-ipsec-sa.js';
import { fakeContext } from '../mgmt/show/fake-context.js';

const INFO: IpsecTunnelInfo = {
  name: 'Tunnel101',
  routingContext: null,
  localAddress: '127.0.0.1',
  peer: '198.51.100.10',
  peerPort: 4500,
  udpEncap: true,
  mtu: 1400,
  lineProtocolUp: true,
  pfs: false,
  dhGroup: null,
  inbound: [
    {
      spi: 0xc1a2b3c4,
      encryption: 'aes-cbc-256',
      integrity: 'sha256',
      esn: false,
      replayWindow: 1024,
      hardKb: 102400000,
      hardSec: 3600,
      ageSec: 721.4,
      packets: 1206,
      bytes: 2048 * 1024,
      drops: { replay: 2, 'replay-stale': 1, icv: 4, dummy: 7 },
    },
  ],
  outbound: {
    spi: 0x0a0b0c0d,
    encryption: 'aes-cbc-256',
    integrity: 'sha256',
    esn: false,
    replayWindow: 1024,
    hardKb: null,
    hardSec: null,
    ageSec: 721.4,
    packets: 1207,
    bytes: 1000,
    drops: { 'seq-overflow': 1 },
  },
};

function ctxWith(query: TunnelSaQuery) {
  const { ctx, views } = fakeContext();
  views.provide(TUNNELS_SA_VIEW, query);
  return ctx;
}

describe('show crypto ipsec sa', () => {
  it('maps the tunnels view to the Catalyst counters', async () => {
    const ctx = ctxWith({ tunnels: () => [INFO], unattributedDrops: () => ({ 'unknown-spi': 3 }) });
    const dto = await showCryptoIpsecSa.collect(ctx, []);
    const t = dto.tunnels[0];
    expect(t).toMatchObject({
      interface: 'Tunnel101',
      cryptoMapTag: 'Tunnel101-head-0',
      currentPeer: '198.51.100.10',
      peerPort: 4500,
      pktsEncaps: 1207,
      pktsDigest: 1207,
      pktsDecaps: 1206,
      pktsVerify: 1206,
      replayDrops: 3,
      verifyFailed: 4,
      recvErrors: 7, // dummy packets are not errors
      sendErrors: 1,
      plaintextMtu: 1400,
      pathMtu: 65536, // the fake kernel has 127.0.0.1 on lo
      currentOutboundSpi: 0x0a0b0c0d,
      pfs: false,
      dhGroup: null,
    });
    expect(t?.inboundEspSas[0]).toEqual({
      spi: 0xc1a2b3c4,
      transform: 'esp-256-aes esp-sha256-hmac',
      inUseSettings: ['Tunnel', 'UDP-Encaps'],
      remainingKb: 102400000 - 2048,
      remainingSec: 2878,
      replayDetection: true,
      esn: false,
      packets: 1206,
      bytes: 2048 * 1024,
      status: 'ACTIVE',
    });
    expect(t?.outboundEspSas[0]?.remainingSec).toBeNull();
    expect(dto.unattributedDrops).toEqual({ 'unknown-spi': 3 });
  });

  it('renders the Catalyst layout', async () => {
    const ctx = ctxWith({ tunnels: () => [INFO], unattributedDrops: () => ({}) });
    const text = showCryptoIpsecSa.render(await showCryptoIpsecSa.collect(ctx, []));
    const expected = [
      'interface: Tunnel101',
      '    Crypto map tag: Tunnel101-head-0, local addr 127.0.0.1',
      '   protected vrf: (none)',
      '   local  ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)',
      '   remote ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)',
      '   current_peer 198.51.100.10 port 4500',
      '     PERMIT, flags={origin_is_acl,}',
      '    #pkts encaps: 1207, #pkts encrypt: 1207, #pkts digest: 1207',
      '    #pkts decaps: 1206, #pkts decrypt: 1206, #pkts verify: 1206',
      '    #send errors 1, #recv errors 7',
      '     local crypto endpt.: 127.0.0.1, remote crypto endpt.: 198.51.100.10',
      '     plaintext mtu 1400, path mtu 65536',
      '     current outbound spi: 0x0A0B0C0D(168496141)',
      '     PFS (Y/N): N, DH group: none',
      '      spi: 0xC1A2B3C4(3248665540)',
      '        transform: esp-256-aes esp-sha256-hmac ,',
      '        in use settings ={Tunnel UDP-Encaps, }',
      '        sa timing: remaining key lifetime (k/sec): (102397952/2878)',
      '        replay detection support: Y',
      '        Status: ACTIVE(ACTIVE)',
      '        sa timing: remaining key lifetime (k/sec): (unlimited/unlimited)',
      'drops outside any tunnel: none',
    ];
    const lines = text.split('\n');
    for (const l of expected) expect(lines).toContain(l);
    expect(text).toContain(
      'drops by reason: dummy 7, icv 4, replay 2, replay-stale 1, seq-overflow 1',
    );
  });

  it('says so when no tunnel is configured (no view or no tunnels)', async () => {
    const { ctx } = fakeContext();
    const dto = await showCryptoIpsecSa.collect(ctx, []);
    expect(dto).toEqual({ tunnels: [], unattributedDrops: {} });
    expect(showCryptoIpsecSa.render(dto)).toContain('No IPsec SAs');
  });

  it('uses Catalyst transform-set words', () => {
    expect(catalystTransform('aes-gcm-256', null)).toBe('esp-gcm 256');
    expect(catalystTransform('aes-gcm-128', null)).toBe('esp-gcm');
    expect(catalystTransform('aes-cbc-256', 'sha256')).toBe('esp-256-aes esp-sha256-hmac');
    expect(catalystTransform('aes-cbc-128', 'sha1')).toBe('esp-128-aes esp-sha-hmac');
  });

  it('matches the documented JSON contract field for field', async () => {
    const ctx = ctxWith({
      tunnels: () => [
        {
          ...INFO,
          outbound: { ...INFO.outbound!, drops: {} },
          inbound: [{ ...INFO.inbound[0]!, drops: {} }],
        },
      ],
      unattributedDrops: () => ({}),
    });
    const dto = await showCryptoIpsecSa.collect(ctx, []);
    expect(fieldPaths([dto])).toEqual(documentedFields('crypto ipsec sa'));
  });
});
