/**
 * The strongSwan + FRR gateway's configuration text: route-based responder connections narrowed
 * per NVA (libipsec picks SAs by address), dead table 220, passive FRR neighbors on the APIPA
 * address (see /work/shared/docs/peers-in-netns.md).
 */
import { describe, expect, it } from 'vitest';
import { bgpdConf, strongswanConf, swanctlConf } from '../../../src/lab/gateway-strongswan.js';
import { makePlan } from '../../../src/lab/plan.js';

const plan = makePlan('t1');
const g0 = plan.gateways[0]!;
const psks = new Map([
  ['psk-conn10', 'AAAA-bbbb_1'],
  ['psk-conn20', 'CCCC-dddd_2'],
]);

describe('strongSwan gateway configuration', () => {
  it('answers each NVA with its public identity and a child narrowed to its APIPA /32 and VNet', () => {
    const text = swanctlConf(plan, g0, psks);
    expect(text).toContain('remote_addrs = 198.51.100.4');
    expect(text).toContain('remote_ts = 169.254.21.1/32,10.10.0.0/16');
    expect(text).toContain('remote_ts = 169.254.22.1/32,10.10.0.0/16');
    expect(text).toContain('start_action = none');
    expect(text).toContain('esp_proposals = aes256gcm16-ecp384');
    expect(text).toContain('secret = "AAAA-bbbb_1"');
    expect(text.match(/id = 203\.0\.113\.10/g)).toHaveLength(2);
  });

  it('refuses a PSK it cannot quote and a missing one', () => {
    expect(() => swanctlConf(plan, g0, new Map([...psks, ['psk-conn10', 'a"b']]))).toThrow(
      /printable/,
    );
    expect(() => swanctlConf(plan, g0, new Map())).toThrow(/no PSK for nva-10/);
  });

  it('loads kernel-libipsec before kernel-netlink and makes table 220 dead', () => {
    const text = strongswanConf();
    expect(text.indexOf('kernel-libipsec')).toBeLessThan(text.indexOf('kernel-netlink'));
    expect(text).toContain('fwmark = 0x0dc');
  });

  it('runs FRR as AS 65515 with passive neighbors sourced from the APIPA address', () => {
    const text = bgpdConf(plan, g0);
    expect(text).toContain('router bgp 65515');
    expect(text).toContain(' neighbor 169.254.21.1 passive');
    expect(text).toContain(' neighbor 169.254.22.1 update-source 169.254.21.2');
    expect(text).toContain(' no bgp ebgp-requires-policy');
    expect(text).toContain('  network 10.20.0.0/16');
  });
});
