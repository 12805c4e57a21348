/**
 * One tunnel end for the datapath integration test, run inside a network namespace with
 * `node --import tsx peer.ts '<json config>'`: a TUN device, a native datapath with one UDP 4500
 * socket and manual GCM SAs. Prints "ready" when up; answers "counters" on stdin with a JSON line;
 * exits when stdin closes.
 */
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NativeDatapath } from '../../../src/esp/native-datapath.js';
import type { ChildSaParams, EspPath } from '../../../src/ike/ports.js';
import { systemClock } from '../../../src/lib/clock.js';
import { TunDevice } from '../../../src/tunnel/tun-device.js';

interface PeerConfig {
  tun: string;
  inner4: string; // e.g. 172.31.0.1/30
  inner6: string; // e.g. fd00:99::1/64
  local: string;
  remote: string;
  spiIn: number;
  spiOut: number;
  keyInHex: string;
  keyOutHex: string;
  vnetHdr: boolean;
  mtu: number;
  mss4: number;
  /** ESP as IP protocol 50 instead of UDP 4500. */
  rawEsp?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as PeerConfig;

function sa(spi: number, keyHex: string): ChildSaParams {
  return {
    spi,
    encryption: 'aes-gcm-256',
    integrity: null,
    encKey: Buffer.from(keyHex, 'hex'),
    integKey: null,
    esn: true,
    replayWindow: 1024,
    lifetime: { softSec: null, hardSec: null, softKb: null, hardKb: null },
  };
}

const tun = TunDevice.open(cfg.tun, { vnetHdr: cfg.vnetHdr });
tun.setMtu(cfg.mtu);
execFileSync('ip', ['addr', 'add', cfg.inner4, 'dev', cfg.tun]);
execFileSync('ip', ['-6', 'addr', 'add', cfg.inner6, 'dev', cfg.tun, 'nodad']);
tun.setUp(true);

const dp = new NativeDatapath(systemClock);
const local = dp.addSocket({ address: cfg.local, port: 4500 });
if (cfg.rawEsp === true) dp.addRawEspSocket(cfg.local);
const path: EspPath = {
  local,
  remote: { address: cfg.remote, port: 4500 },
  udpEncap: cfg.rawEsp !== true,
};
dp.addTunnel(cfg.tun, tun, { mss4: cfg.mss4, mss6: cfg.mss4 - 20 });
dp.addInbound(cfg.tun, sa(cfg.spiIn, cfg.keyInHex), path);
dp.setOutbound(cfg.tun, sa(cfg.spiOut, cfg.keyOutHex), path);
const ikeSeen: string[] = [];
dp.onReceive((data, _local, remote) => {
  ikeSeen.push(`${remote.address}:${data.toString('hex')}`);
});

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'counters') {
    const g = dp.globalCounters();
    const out = dp.counters(cfg.tun, cfg.spiOut, 'out');
    const inn = dp.counters(cfg.tun, cfg.spiIn, 'in');
    console.log(
      JSON.stringify({
        global: Object.fromEntries(Object.entries(g).map(([k, v]) => [k, Number(v)])),
        out: { packets: Number(out?.packets ?? -1n), bytes: Number(out?.bytes ?? -1n) },
        in: { packets: Number(inn?.packets ?? -1n), bytes: Number(inn?.bytes ?? -1n) },
        unknownSpi: Number(dp.globalDrops(2)),
        ike: ikeSeen,
      }),
    );
  } else if (line.startsWith('ike ')) {
    dp.send(Buffer.from(line.slice(4), 'hex'), local, path.remote);
    console.log('sent');
  }
});
rl.on('close', () => {
  dp.close();
  tun.close();
  process.exit(0);
});
console.log(`ready ${tun.offload}`);
