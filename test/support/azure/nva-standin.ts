/**
 * A strongSwan + BIRD stand-in for the NVA in one of the Azure stand-in's NVA slots (as
 * peers-in-netns.md did), to prove the stand-in on its own and as a reference peer for nvad:
 * one charon (kernel-libipsec) initiating a tunnel to every gateway instance, IKE identity = the
 * public (post-NAT) address, BIRD (AS nvaAsn) peering with the gateways over the tunnels and with
 * the Route Server stand-in (multihop, from the inside NIC), advertising the VNet prefixes.
 *
 * libipsec carries one 0/0 tunnel per charon, so tunnel 0 is 0/0 and the others are narrowed to
 * the gateway's APIPA (BGP only): data to the Azure prefixes uses tunnel 0.
 */
import { startBird } from '../bgp-peers.js';
import type { BirdPeer } from '../bgp-peers.js';
import { waitFor } from '../netns.js';
import { Charon } from '../strongswan.js';
import type { SwanConn } from '../strongswan.js';
import type { NvaPlan, StandinPlan } from './plan.js';
import type { AzureStandin } from './standin.js';

export interface NvaStandin {
  readonly charon: Charon;
  readonly bird: BirdPeer;
  stop(): Promise<void>;
}

/** BIRD 2 config of the NVA stand-in. Protocols: `gw<i>` (gateways), `rs<j>` (Route Server). */
export function nvaBirdConf(plan: StandinPlan, nva: NvaPlan): string {
  const adv = plan.vnetPrefixes.map((p) => `  route ${p} unreachable;`).join('\n');
  const tunnel = nva.tunnels.map((t) => `  route ${t.remoteApipa}/32 via "ipsec0";`).join('\n');
  const gws = nva.tunnels
    .map(
      (t) => `protocol bgp gw${t.instance} {
  local ${t.localApipa} as ${plan.nvaAsn};
  source address ${t.localApipa};
  neighbor ${t.remoteApipa} as ${plan.gatewayAsn};
  multihop 2;
  connect delay time 1;
  connect retry time 5;
  ipv4 { import all; export where proto = "adv"; next hop self; };
}`,
    )
    .join('\n');
  const rss = plan.routeServers
    .map(
      (ip, j) => `protocol bgp rs${j} {
  local ${nva.insideIp} as ${plan.nvaAsn};
  neighbor ${ip} as ${plan.routeServerAsn};
  multihop 2;
  connect delay time 1;
  connect retry time 5;
  ipv4 {
    import all;
    # as-override: the Route Server drops paths with its own AS in them.
    export filter {
      if proto !~ "gw*" then reject;
      bgp_path = delete(bgp_path, ${plan.routeServerAsn});
      bgp_path = prepend(bgp_path, ${plan.nvaAsn});
      accept;
    };
    next hop self;
  };
}`,
    )
    .join('\n');
  return `router id ${nva.privateIp};
protocol device { scan time 2; }
protocol static adv {
  ipv4;
${adv}
}
protocol static tunnel {
  ipv4;
${tunnel}
}
protocol kernel {
  ipv4 { import none; export where proto ~ "gw*"; };
}
${gws}
${rss}
`;
}

/** Start the NVA stand-in in slot `k`, bring up every tunnel; registered for the stand-in's destroy. */
export async function startNvaStandin(standin: AzureStandin, k: number): Promise<NvaStandin> {
  const slot = standin.nvas[k];
  if (slot === undefined) throw new Error(`no NVA slot ${k}`);
  const plan = standin.plan;
  const nva = slot.plan;
  const conns: SwanConn[] = nva.tunnels.map((t) => ({
    name: `gw${t.instance}`,
    localAddrs: nva.privateIp,
    remoteAddrs: t.remotePublic,
    localId: nva.publicIp,
    remoteId: t.remotePublic,
    psk: t.psk,
    proposals: plan.ikeProposals,
    dpdDelay: 10,
    children: [
      {
        name: `s2s-gw${t.instance}`,
        espProposals: plan.espProposals,
        remoteTs: t.instance === 0 ? ['0.0.0.0/0'] : [`${t.remoteApipa}/32`],
        startAction: 'none',
      },
    ],
  }));
  const charon = await Charon.start({
    ns: slot.ns.name,
    name: `nva${k}`,
    conns,
    deadTable220: true,
  });
  let bird: BirdPeer | null = null;
  const stop = async (): Promise<void> => {
    bird?.stop();
    bird = null;
    await charon.stop();
    charon.removeDir();
  };
  standin.onDestroy(stop);
  try {
    await waitFor('ipsec0', () => slot.ns.ip('-o', 'link', 'show').includes('ipsec0:'), 5000, 25);
    slot.ns.ip('link', 'set', 'ipsec0', 'up');
    for (const t of nva.tunnels) {
      slot.ns.route(`${t.remoteApipa}/32`, 'dev', 'ipsec0', 'src', t.localApipa);
    }
    for (const t of nva.tunnels) charon.initiate(`s2s-gw${t.instance}`, `gw${t.instance}`);
    bird = startBird(slot.ns, nvaBirdConf(plan, nva));
  } catch (err) {
    await stop();
    throw err;
  }
  const b = bird;
  return { charon, bird: b, stop };
}
