/**
 * `nvad lab up → status → down` for real: Design 1 in namespaces (two nvad NVAs in a bow-tie with
 * an active-active gateway stand-in), first with the default gateway (strongSwan + FRR, installed
 * in CI), then with `--gateway nvad`. Runs the CLI from source (tsx) so it tests the tree as it is.
 * Needs root, iproute2, iptables, iputils-ping, strongSwan (kernel-libipsec) and FRR.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentHost, labProblems, missingGatewayPackages } from '../../../src/lab/prereqs.js';
import { describeWithPrereqs, isRoot } from '../../support/netns.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const stateRoot = mkdtempSync(join(tmpdir(), 'nvlab-test-'));
// FRR drops to the frr user and must reach its directory under the lab's state directory
chmodSync(stateRoot, 0o711);
const env = { ...process.env, NVAD_LAB_DIR: stateRoot };
const UP_MS = 150_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: ROOT, env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function nvad(...args: string[]): Promise<Run> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], UP_MS);
}

function labNamespaces(lab: string): string[] {
  return existsSync('/run/netns')
    ? readdirSync('/run/netns').filter((n) => n.startsWith(`nvlab-${lab}-`))
    : [];
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

interface StateFile {
  gateway: string;
  daemons: { node: string; pid: number; netns: string }[];
  processes: { node: string; name: string; pid: number; netns: string }[];
}

function readLabState(lab: string): StateFile {
  return JSON.parse(readFileSync(join(stateRoot, lab, 'state.json'), 'utf8')) as StateFile;
}

function psks(lab: string): string[] {
  return ['psk-conn10', 'psk-conn20'].map((f) =>
    readFileSync(join(stateRoot, lab, f), 'utf8').trim(),
  );
}

/** Kill what a lab left if `lab down` itself failed, and remove its namespaces. */
async function forceClean(lab: string): Promise<void> {
  try {
    await nvad('lab', 'down', '--name', lab);
  } finally {
    for (const ns of labNamespaces(lab)) {
      const pids = (await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean);
      for (const p of pids.map(Number).filter((n) => n > 1)) process.kill(p, 'SIGKILL');
      await run('ip', ['netns', 'delete', ns]);
    }
  }
}

/** What `lab up` must have printed: IKE SAs, BGP summary with Established sessions, a ping. */
function expectUpOutput(r: Run, lab: string): void {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(r.stdout).toContain(`lab ${lab} is up`);
  for (const nva of ['nva10', 'nva20']) {
    expect(r.stdout).toContain(`nvlab-${lab}-${nva}# nvad show crypto ikev2 sa`);
    expect(r.stdout).toContain(`nvlab-${lab}-${nva}# nvad show ip bgp summary`);
  }
  // two IKE SAs per NVA (bow-tie), each READY towards a gateway instance
  expect(
    r.stdout.match(/^\d+\s+10\.10\.0\.[45]\/4500\s+203\.0\.113\.1[01]\/4500\s.*READY$/gm),
  ).toHaveLength(4);
  // each NVA: both gateway instances Established with a prefix count in State/PfxRcd
  expect(r.stdout.match(/^169\.254\.21\.[26]\s+4\s+65515\s.*\s\d+$/gm)).toHaveLength(4);
  expect(r.stdout).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
  const logs = ['nva10.log', 'nva20.log', 'gw0.log', 'gw0/charon.log']
    .map((f) => join(stateRoot, lab, f))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'));
  expect(logs.length).toBeGreaterThanOrEqual(3);
  for (const psk of psks(lab)) {
    expect(r.stdout).not.toContain(psk);
    expect(r.stderr).not.toContain(psk);
    for (const log of logs) expect(log).not.toContain(psk);
  }
}

async function expectDownClean(lab: string): Promise<void> {
  const state = readLabState(lab);
  const pids = [...state.daemons, ...state.processes].map((p) => p.pid);
  expect(pids.every(alive)).toBe(true);
  const r = await nvad('lab', 'down', '--name', lab);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`lab ${lab} is down`);
  expect(pids.filter(alive)).toEqual([]);
  expect(labNamespaces(lab)).toEqual([]);
  expect(existsSync(join(stateRoot, lab))).toBe(false);
}

afterAll(() => {
  rmSync(stateRoot, { recursive: true, force: true });
});

describe('lab prerequisites', () => {
  it('names the fix for each missing piece and changes nothing', () => {
    const problems = labProblems({ uid: 1000, which: () => undefined, exists: () => false });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/must run as root/);
    expect(problems[1]).toBe('command "ip" not found: install it with "apt-get install iproute2"');
    expect(problems[2]).toBe(
      'command "iptables" not found: install it with "apt-get install iptables"',
    );
    expect(problems[3]).toBe(
      'command "ping" not found: install it with "apt-get install iputils-ping"',
    );
    expect(labProblems({ uid: 0, which: (n) => `/usr/sbin/${n}`, exists: () => true })).toEqual([]);
  });

  it('rejects a lab name that could collide with another lab, and an unknown gateway', async () => {
    const r = await nvad('lab', 'up', '--name', 'a-b');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid lab name "a-b"');
    expect(labNamespaces('a')).toEqual([]);
    const g = await nvad('lab', 'up', '--gateway', 'cisco');
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('--gateway needs one of auto, strongswan, nvad');
  });
});

const host = currentHost();
const prereqs = {
  root: isRoot(),
  'iproute2, iptables, iputils-ping': labProblems(host).length === 0,
  'strongSwan + FRR (the default gateway in CI)': missingGatewayPackages(host).length === 0,
};

describeWithPrereqs('nvad lab, default gateway (strongSwan + FRR)', prereqs, () => {
  const LAB = `s${process.pid}`;

  afterAll(async () => {
    await forceClean(LAB);
  }, 60_000);

  it('status of a lab that is not up says so (exit 3)', async () => {
    const r = await nvad('lab', 'status', '--name', LAB);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`lab ${LAB} is not up`);
  });

  it(
    'up builds Design 1 and prints the IKE SAs, BGP summaries and a ping across',
    async () => {
      const vtyshRs = (cmd: string): Promise<Run> =>
        run('ip', [
          'netns',
          'exec',
          `nvlab-${LAB}-rs0`,
          'vtysh',
          '--vty_socket',
          join(stateRoot, LAB, 'rs0', 'frr'),
          '-c',
          cmd,
        ]);
      const r = await nvad('lab', 'up', '--name', LAB);
      expectUpOutput(r, LAB);
      expect(r.stdout).toContain('gateway: strongSwan (charon, kernel-libipsec) + FRR, AS 65515');
      expect(r.stdout).toContain('gw0: FRR BGP 169.254.21.1 Established, 169.254.22.1 Established');
      expect(r.stdout).toContain('rs1: FRR BGP 10.10.0.4 Established, 10.10.0.5 Established');
      // each NVA also peers with both Route Server instances
      expect(r.stdout.match(/^10\.10\.4\.[45]\s+4\s+65515\s.*\s\d+$/gm)).toHaveLength(4);
      expect(labNamespaces(LAB)).toHaveLength(10);
      const state = readLabState(LAB);
      expect(state.gateway).toBe('strongswan');
      expect(state.processes.map((p) => `${p.node} ${p.name}`).sort()).toEqual([
        'gw0 bgpd',
        'gw0 charon',
        'gw0 zebra',
        'gw1 bgpd',
        'gw1 charon',
        'gw1 zebra',
        'rs0 bgpd',
        'rs0 zebra',
        'rs1 bgpd',
        'rs1 zebra',
      ]);
      // the Route Server learns the Azure prefix from both NVAs with AS 65515 overridden
      const rsRoute = JSON.parse(
        (await vtyshRs('show bgp ipv4 unicast 10.20.0.0/16 json')).stdout,
      ) as {
        paths?: { aspath?: { string?: string }; valid?: boolean }[];
      };
      const rsPaths = rsRoute.paths ?? [];
      expect(rsPaths).toHaveLength(2);
      expect(rsPaths.every((p) => p.aspath?.string === '65002 65002' && p.valid === true)).toBe(
        true,
      );
      for (const f of ['psk-conn10', 'psk-conn20', 'gw0/swanctl.conf']) {
        expect(statSync(join(stateRoot, LAB, f)).mode & 0o777).toBe(0o600);
      }
      // the NVA configs reference the PSK files and never hold a secret
      const cfg = readFileSync(join(stateRoot, LAB, 'nva10.yaml'), 'utf8');
      expect(cfg).toContain('psk: ${file:psk-conn10}');
      for (const psk of psks(LAB)) expect(cfg).not.toContain(psk);
    },
    UP_MS,
  );

  it('status reports every process and nvad up (exit 0)', async () => {
    const r = await nvad('lab', 'status', '--name', LAB);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/gw1: charon pid \d+ running/);
    expect(r.stdout).toMatch(/nva20: nvad pid \d+ running, tunnels 2\/2 up, BGP 4\/4 Established/);
    expect(r.stdout).toContain(`lab ${LAB} is up`);
  });

  it(
    'a dead nvad makes status exit 3, and up starts it again',
    async () => {
      const before = readLabState(LAB).daemons.find((d) => d.node === 'nva10')!;
      expect(before.pid).toBeGreaterThan(1);
      process.kill(before.pid, 'SIGKILL');
      for (let i = 0; i < 50 && alive(before.pid); i++) await new Promise((r) => setTimeout(r, 50));
      const status = await nvad('lab', 'status', '--name', LAB);
      expect(status.code).toBe(3);
      expect(status.stdout).toContain(`nva10: nvad pid ${before.pid} NOT RUNNING`);
      const up = await nvad('lab', 'up', '--name', LAB);
      expectUpOutput(up, LAB);
      expect(up.stdout).toMatch(/nva10: started nvad \(pid \d+,/);
      expect(up.stdout).toMatch(/nva20: nvad already running \(pid \d+\)/);
    },
    UP_MS,
  );

  it('down stops nvad, charon and FRR and removes namespaces and state', async () => {
    await expectDownClean(LAB);
    const again = await nvad('lab', 'down', '--name', LAB);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to remove');
  });
});

describeWithPrereqs(
  'nvad lab --gateway nvad',
  {
    root: prereqs.root,
    'iproute2, iptables, iputils-ping': prereqs['iproute2, iptables, iputils-ping'],
  },
  () => {
    const LAB = `n${process.pid}`;

    beforeAll(() => {
      // what a crashed "lab up" leaves: a namespace and a state file naming a dead daemon
      mkdirSync(join(stateRoot, LAB), { recursive: true });
      writeFileSync(
        join(stateRoot, LAB, 'state.json'),
        JSON.stringify({ lab: LAB, gateway: 'nvad', createdAt: 'x', daemons: [], processes: [] }),
      );
    });

    afterAll(async () => {
      await forceClean(LAB);
    }, 60_000);

    it(
      'up clears what a crashed run left, then brings Design 1 up with nvad as the gateway',
      async () => {
        await run('ip', ['netns', 'add', `nvlab-${LAB}-inet`]);
        const r = await nvad('lab', 'up', '--name', LAB, '--gateway', 'nvad');
        expect(r.stdout).toContain(`lab ${LAB}: removing what is left of an earlier run`);
        expect(r.stdout).toContain('gateway: nvad (responder, AS 65515, passive BGP)');
        expectUpOutput(r, LAB);
        const state = readLabState(LAB);
        expect(state.gateway).toBe('nvad');
        expect(state.daemons.map((d) => d.node)).toEqual(['gw0', 'gw1', 'nva10', 'nva20']);
        expect(labNamespaces(LAB)).toHaveLength(8); // no Route Server stand-in without FRR
        const gw = readFileSync(join(stateRoot, LAB, 'gw0.yaml'), 'utf8');
        expect(gw).toContain('initiate: false');
        expect(gw).toContain('passive: true');
      },
      UP_MS,
    );

    it('status exits 0 with both gateway instances answering every NVA', async () => {
      const r = await nvad('lab', 'status', '--name', LAB);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/gw0: nvad pid \d+ running, tunnels 2\/2 up, BGP 2\/2 Established/);
      expect(r.stdout).toMatch(/gw1: nvad pid \d+ running, tunnels 2\/2 up, BGP 2\/2 Established/);
    });

    it('down leaves no namespace, process or state dir', async () => {
      await expectDownClean(LAB);
    });
  },
);
