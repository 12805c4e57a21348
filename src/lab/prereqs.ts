/**
 * What the lab needs from the host, checked before it changes anything. Nothing is installed
 * silently: each problem names the package or command that fixes it.
 */
import { findExecutable } from './exec.js';

/** Host commands the lab uses, with the Debian package that provides each. */
export const LAB_COMMANDS = [{ command: 'ip', pkg: 'iproute2' }] as const;

export interface HostFacts {
  readonly uid: number;
  /** The path of an executable, or undefined when it is missing. */
  readonly which: (name: string) => string | undefined;
}

export function currentHost(): HostFacts {
  return { uid: process.getuid?.() ?? -1, which: findExecutable };
}

/** Problems that stop the lab from running, each a sentence with its fix; empty when ready. */
export function labProblems(host: HostFacts): string[] {
  const problems: string[] = [];
  if (host.uid !== 0) {
    problems.push('the lab creates network namespaces and must run as root (try: sudo nvad lab …)');
  }
  for (const { command, pkg } of LAB_COMMANDS) {
    if (host.which(command) === undefined) {
      problems.push(`command "${command}" not found: install it with "apt-get install ${pkg}"`);
    }
  }
  return problems;
}
