/**
 * Kernel errors: an rtnetlink request answered with a negative errno becomes a {@link KernelError}
 * whose message names the operation, the errno text and the kernel's extended ACK, e.g.
 * "add address 10.0.0.1/32 on lo: File exists".
 */
import { constants } from 'node:os';
import { NetError } from '../lib/errors.js';

/** errno numbers we act on (Linux asm-generic/errno-base.h, errno.h). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ERANGE: 34,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENOBUFS: 105,
  EHOSTUNREACH: 113,
} as const;

/** strerror(3) texts (glibc) for the errnos rtnetlink commonly returns. */
const TEXT: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  13: 'Permission denied',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  22: 'Invalid argument',
  34: 'Numerical result out of range',
  90: 'Message too long',
  93: 'Protocol not supported',
  95: 'Operation not supported',
  97: 'Address family not supported by protocol',
  99: 'Cannot assign requested address',
  100: 'Network is down',
  101: 'Network is unreachable',
  105: 'No buffer space available',
  113: 'No route to host',
};

const NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n, name]),
);

/** errno name ("EEXIST"), `ERRNO_<n>` when unknown. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `ERRNO_${errno}`;
}

/** strerror-like text, falling back to the errno name. */
export function errnoText(errno: number): string {
  return TEXT[errno] ?? errnoName(errno);
}

export class KernelError extends NetError {
  /** Positive errno, 0 for failures that are not errno (decode, closed socket). */
  readonly errno: number;
  /** The operation, e.g. "add address 10.0.0.1/32 on lo". */
  readonly op: string;
  /** Extended ACK text from the kernel (NLMSGERR_ATTR_MSG), if any. */
  readonly extAck: string | null;

  constructor(op: string, errno: number, extAck: string | null = null, detail?: string) {
    const what = detail ?? errnoText(errno);
    super('ERR_KERNEL', `${op}: ${what}${extAck !== null && extAck !== '' ? ` (${extAck})` : ''}`);
    this.errno = errno;
    this.op = op;
    this.extAck = extAck;
  }

  get errnoName(): string {
    return errnoName(this.errno);
  }
}
