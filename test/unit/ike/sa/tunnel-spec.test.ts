import { describe, expect, it } from 'vitest';
import type { CryptoConfig, TunnelConfig } from '../../../../src/config/types.js';
import { Secret } from '../../../../src/config/secret.js';
import { tunnelSpecFromConfig } from '../../../../src/ike/index.js';

const crypto: CryptoConfig = {
  ikePolicies: {
    'azure:default': {
      name: 'azure:default',
      lifetimeSec: 28800,
      proposals: [
        { encryption: ['aes-cbc-256'], integrity: ['sha1'], prf: ['sha1'], dhGroup: ['modp1024'] },
      ],
    },
  },
  ipsecPolicies: {
    esp: {
      name: 'esp',
      lifetimeSec: 27000,
      lifetimeKilobytes: 102400000,
      replayWindow: 1024,
      esn: false,
      proposals: [{ encryption: ['aes-gcm-256'], integrity: [], pfsGroup: null }],
    },
  },
  azurePolicies: {},
};

const tunnel: TunnelConfig = {
  name: 'Tunnel101',
  localAddress: '10.0.0.4',
  publicAddress: '198.51.100.7',
  peer: '20.1.2.3',
  psk: new Secret('x'),
  ikePolicy: 'azure:default',
  ipsecPolicy: 'esp',
  azurePolicy: null,
  address: undefined,
  ipv6: false,
  mtu: 1400,
  tcpMss: 1350,
  dpd: { intervalSec: 10, retries: 2, mode: 'on-demand' },
  initiate: true,
  routingContext: undefined,
  localId: { type: 'ipv4', value: '198.51.100.7' },
  remoteId: { type: 'ipv4', value: '20.1.2.3' },
  natKeepaliveSec: 20,
  manualSa: undefined,
};

describe('tunnelSpecFromConfig', () => {
  it('resolves policy names and binds IKE to the tunnel source address on port 500', () => {
    const spec = tunnelSpecFromConfig(crypto, tunnel);
    expect(spec?.ikePolicy.name).toBe('azure:default');
    expect(spec?.ipsecPolicy.name).toBe('esp');
    expect(spec?.local).toEqual({ address: '10.0.0.4', port: 500 });
  });

  it('returns null for unknown policies and manual-SA tunnels', () => {
    expect(tunnelSpecFromConfig(crypto, { ...tunnel, ipsecPolicy: 'nope' })).toBeNull();
    expect(tunnelSpecFromConfig(crypto, { ...tunnel, ikePolicy: null })).toBeNull();
  });
});
