/**
 * Captured netlink vectors: test/vectors/netlink/captured.json, recorded from iproute2 6.1 and the
 * Linux kernel with strace (see capture.sh there).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Capture {
  command: string;
  writes: string[];
  reads: string[];
}

const file = fileURLToPath(new URL('../../../vectors/netlink/captured.json', import.meta.url));
const data = JSON.parse(readFileSync(file, 'utf8')) as { source: string; captures: Capture[] };

export function capture(command: string): Capture {
  const c = data.captures.find((x) => x.command === command);
  if (!c) throw new Error(`no capture for ${command}`);
  return c;
}

/** The last request a command wrote (the one after its interface-name lookups). */
export function lastWrite(command: string): Buffer {
  const c = capture(command);
  return Buffer.from(c.writes[c.writes.length - 1]!, 'hex');
}

export function lastRead(command: string): Buffer {
  const c = capture(command);
  return Buffer.from(c.reads[c.reads.length - 1]!, 'hex');
}

export function allReads(command: string): Buffer[] {
  return capture(command).reads.map((h) => Buffer.from(h, 'hex'));
}
