/**
 * The kernel module: the port, its rtnetlink implementation and an in-memory fake.
 *
 *   const kernel = createNetlinkKernel();            // one rtnetlink socket (native addon)
 *   await kernel.addAddress('lo', '169.254.21.1/32'); // idempotent
 *   await kernel.replaceNexthop({ id: 1, dev: 'Tunnel1', protocol: RouteProtocol.bgp });
 *   const r = await kernel.replaceRoutes(specs);      // bulk: { total, failed: [{ index, error }] }
 *   const w = kernel.watchLinks((ev) => ...);         // 'added' | 'changed' | 'removed'
 *   kernel.close();
 *
 * Failures are `KernelError`s: "add address 10.0.0.1/32 on lo: File exists (…ext ack…)".
 * Unit tests of other modules use `createFakeKernel()`.
 */
export * from './port.js';
export { KernelError, Errno, errnoName, errnoText } from './errors.js';
export {
  createNetlinkKernel,
  linkInfoOf,
  type NetlinkKernel,
  type NetlinkKernelOptions,
  type BatchResult,
  type BatchFailure,
  type LinkEvent,
  type LinkEventType,
  type LinkWatch,
  type RouteDeleteSpec,
} from './netlink-kernel.js';

export { createFakeKernel, type FakeKernel, type FakeKernelCall } from './fake.js';
