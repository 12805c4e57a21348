/**
 * `nvad lab up|status|down [--name NAME]`: a throwaway lab in network namespaces (src/lab/).
 * Exit status: 0 done (status: lab healthy), 1 failure, 2 usage, 3 status of a lab that is not up.
 */
import type { Clock, Timer } from '../lib/clock.js';
import { currentInvocation } from '../lab/daemon.js';
import { DEFAULT_LAB, LabError, labDown, labStatus, labUp, type LabContext } from '../lab/lab.js';
import { currentHost } from '../lab/prereqs.js';
import { DEFAULT_LAB_ROOT } from '../lab/state.js';

const USAGE = `usage: nvad lab up|status|down [--name NAME]

  up       create the lab namespace(s), start nvad with a demo config, show its state
  status   say what runs and show the daemon's state
  down     stop nvad (SIGTERM) and remove everything the lab made

  --name NAME   lab name (lowercase letters and digits, default "${DEFAULT_LAB}"); namespaces are
                called nvlab-NAME-<node>
  State and logs: $NVAD_LAB_DIR/NAME (default ${DEFAULT_LAB_ROOT}/NAME). Needs root and iproute2.
`;

export async function main(argv: string[]): Promise<number> {
  let lab = DEFAULT_LAB;
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
    } else if (action === undefined && arg !== undefined && !arg.startsWith('-')) {
      action = arg;
    } else {
      return usage(`unexpected argument "${arg ?? ''}"`);
    }
  }
  const ctx: LabContext = {
    lab,
    clock: cliClock,
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
