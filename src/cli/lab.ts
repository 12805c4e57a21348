/**
 * `nvad lab up|status|down [--name NAME] [--gateway auto|strongswan|nvad]`: Design 1 as a
 * throwaway lab in network namespaces (src/lab/).
 * Exit status: 0 done (status: lab healthy), 1 failure, 2 usage, 3 status of a lab that is not up.
 */
import type { Clock, Timer } from '../lib/clock.js';
import { currentInvocation } from '../lab/daemon.js';
import { DEFAULT_LAB, LabError, labDown, labStatus, labUp, type LabContext } from '../lab/lab.js';
import { currentHost, type GatewayChoice } from '../lab/prereqs.js';
import { systemRng } from '../lib/rng.js';
import { DEFAULT_LAB_ROOT } from '../lab/state.js';

const USAGE = `usage: nvad lab up|status|down [--name NAME] [--gateway auto|strongswan|nvad]

  up       build Design 1 (two nvad NVAs in a bow-tie with an active-active Azure gateway
           stand-in, a VM on each side), wait for tunnels, BGP and routes, then print
           show crypto ikev2 sa, show ip bgp summary and a ping across
  status   say what runs and the state of each nvad (exit 3 when not fully up)
  down     stop every process the lab started and remove everything it made

  --name NAME      lab name (lowercase letters and digits, default "${DEFAULT_LAB}"); namespaces
                   are called nvlab-NAME-<node>
  --gateway KIND   up only: the gateway stand-in. auto (default): strongSwan + FRR when
                   installed, else nvad (responder, AS 65515, passive BGP); strongswan or nvad
                   force one. With strongSwan + FRR the lab also runs a Route
                   Server stand-in (FRR, AS 65515) that both NVAs peer with
  State, configs, PSKs and logs: $NVAD_LAB_DIR/NAME (default ${DEFAULT_LAB_ROOT}/NAME).
  Needs root, iproute2, iptables and iputils-ping; installs nothing itself.
`;

const GATEWAYS: readonly GatewayChoice[] = ['auto', 'strongswan', 'nvad'];

function isGateway(v: string): v is GatewayChoice {
  return (GATEWAYS as readonly string[]).includes(v);
}

export async function main(argv: string[]): Promise<number> {
  let lab = DEFAULT_LAB;
  let gateway: GatewayChoice = 'auto';
  let action: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h' || arg === 'help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg === '--name') {
      const v = argv[++i];
      if (v === undefined) return usage('--name needs a value');
      lab = v;
    } else if (arg?.startsWith('--name=')) {
      lab = arg.slice('--name='.length);
    } else if (arg === '--gateway' || arg?.startsWith('--gateway=')) {
      const v = arg === '--gateway' ? argv[++i] : arg.slice('--gateway='.length);
      if (v === undefined || !isGateway(v)) {
        return usage(`--gateway needs one of ${GATEWAYS.join(', ')}`);
      }
      gateway = v;
    } else if (action === undefined && arg !== undefined && !arg.startsWith('-')) {
      action = arg;
    } else {
      return usage(`unexpected argument "${arg ?? ''}"`);
    }
  }
  const ctx: LabContext = {
    lab,
    clock: cliClock,
    rng: systemRng,
    gateway,
    host: currentHost(),
    nvad: currentInvocation(),
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
  };
  try {
    switch (action) {
      case 'up':
        await labUp(ctx);
        return 0;
      case 'status':
        return (await labStatus(ctx)) ? 0 : 3;
      case 'down':
        await labDown(ctx);
        return 0;
      case undefined:
        return usage('missing action');
      default:
        return usage(`unknown action "${action}"`);
    }
  } catch (err) {
    const msg =
      err instanceof LabError ? err.message : `lab ${action ?? ''} failed: ${String(err)}`;
    process.stderr.write(`nvad lab: ${msg}\n`);
    return 1;
  }
}

/**
 * The lab's waits are the only thing keeping this short-lived process alive, so unlike
 * `systemClock` (whose timers are unref'd for the daemon) its timers hold the event loop.
 */
const cliClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer: (ms, fn) => {
    let handle: NodeJS.Timeout | undefined;
    const timer: Timer = {
      get pending() {
        return handle !== undefined;
      },
      cancel() {
        clearTimeout(handle);
        handle = undefined;
      },
      reschedule(delay) {
        clearTimeout(handle);
        handle = setTimeout(() => {
          handle = undefined;
          fn();
        }, delay);
      },
    };
    timer.reschedule(ms);
    return timer;
  },
};

function usage(problem: string): number {
  process.stderr.write(`nvad lab: ${problem}\n${USAGE}`);
  return 2;
}
