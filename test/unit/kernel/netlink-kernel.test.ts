/**
 * createNetlinkKernel logic that the real kernel cannot be made to exercise on demand: a link
 * watch recovering from a notification overflow (ENOBUFS) by re-dumping the link table. The
 * transport here answers GETLINK dumps from a table, like rtnetlink would; everything else
 * (real sockets, real kernel) is covered in test/integration/kernel.
 */
import { describe, expect, it } from 'vitest';
import { createNetlinkKernel, type LinkEvent } from '../../../src/kernel/index.js';
import { Iff, NLMSG_DONE, NlmF, RtmType } from '../../../src/kernel/netlink/constants.js';
import { encodeLink } from '../../../src/kernel/netlink/link.js';
import type { NetlinkTransport } from '../../../src/kernel/netlink/socket.js';
import { decodeMessages, NlWriter } from '../../../src/kernel/netlink/wire.js';

interface Link {
  index: number;
  name: string;
  flags: number;
  mtu: number;
}

class TableTransport implements NetlinkTransport {
  links: Link[] = [
    { index: 1, name: 'lo', flags: Iff.UP | Iff.LOWER_UP, mtu: 65536 },
    { index: 2, name: 'Tunnel1', flags: Iff.UP | Iff.LOWER_UP, mtu: 1400 },
  ];
  private nextFd = 10;
  readonly cbs = new Map<number, (data: Buffer | null, errno: number) => void>();
  readonly groups = new Map<number, number[]>();
  netlinkOpen(): number {
    return this.nextFd++;
  }
  netlinkSend(fd: number, buf: Uint8Array): number {
    for (const m of decodeMessages(Buffer.from(buf))) {
      if (m.type !== RtmType.RTM_GETLINK || (m.flags & NlmF.DUMP) !== NlmF.DUMP) continue;
      const w = new NlWriter();
      for (const l of this.links) {
        const at = w.beginMessage(RtmType.RTM_NEWLINK, NlmF.MULTI, m.seq, fd);
        encodeLink(w, {
          family: 0,
          type: 1,
          index: l.index,
          flags: l.flags,
          change: 0,
          name: l.name,
          mtu: l.mtu,
        });
        w.endMessage(at);
      }
      const at = w.beginMessage(NLMSG_DONE, NlmF.MULTI, m.seq, fd);
      w.i32(0);
      w.endMessage(at);
      const out = w.finish();
      queueMicrotask(() => this.cbs.get(fd)?.(out, 0));
    }
    return buf.length;
  }
  netlinkRecv(): Buffer | null {
    return null;
  }
  netlinkAddMembership(fd: number, group: number): void {
    this.groups.set(fd, [...(this.groups.get(fd) ?? []), group]);
  }
  netlinkPortId(fd: number): number {
    return fd;
  }
  netlinkWatch(fd: number, cb: (data: Buffer | null, errno: number) => void): void {
    this.cbs.set(fd, cb);
  }
  netlinkWatchRef(): void {}
  netlinkUnwatch(fd: number): void {
    this.cbs.delete(fd);
  }
  netlinkClose(fd: number): void {
    this.cbs.delete(fd);
  }
  /** Overflow every subscribed socket, as the kernel does when the receive queue is full. */
  overflow(): void {
    for (const [fd] of this.groups) this.cbs.get(fd)?.(null, 105);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('netlink kernel link watch', () => {
  it('after ENOBUFS, re-dumps links and emits the changes it missed', async () => {
    const t = new TableTransport();
    const k = createNetlinkKernel({ transport: t });
    const events: LinkEvent[] = [];
    const w = k.watchLinks((e) => events.push(e));
    await w.ready;
    expect(events).toEqual([]);
    expect([...t.groups.values()]).toEqual([[1]]); // RTNLGRP_LINK

    // Tunnel1 loses carrier and Tunnel2 appears, but the notifications are lost.
    t.links[1] = { ...t.links[1]!, flags: Iff.UP };
    t.links.push({ index: 3, name: 'Tunnel2', flags: 0, mtu: 1400 });
    t.overflow();
    await tick();
    await tick();
    expect(events.map((e) => [e.type, e.link.name, e.link.running])).toEqual([
      ['changed', 'Tunnel1', false],
      ['added', 'Tunnel2', false],
    ]);

    t.links = t.links.filter((l) => l.index !== 3);
    t.overflow();
    await tick();
    await tick();
    expect(events.at(-1)).toMatchObject({ type: 'removed', link: { name: 'Tunnel2' } });
    w.close();
    k.close();
    expect(t.cbs.size).toBe(0);
  });
});
