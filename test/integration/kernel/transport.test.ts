/**
 * The addon's netlink transport on its own (read-only requests, so no namespace needed):
 * several messages in one send, synchronous poll+recv with a timeout, port id, close.
 */
import { describe, expect, it } from 'vitest';
import { NLMSG_DONE, NLMSG_ERROR, NlmF, RtmType } from '../../../src/kernel/netlink/constants.js';
import { decodeLink, encodeLink, linkQuery } from '../../../src/kernel/netlink/link.js';
import { nativeTransport } from '../../../src/kernel/netlink/socket.js';
import {
  decodeError,
  decodeMessages,
  NlWriter,
  type NlMsg,
} from '../../../src/kernel/netlink/wire.js';

describe('native netlink transport', () => {
  const t = nativeTransport();

  function recvAll(fd: number, until: (msgs: NlMsg[]) => boolean): NlMsg[] {
    const got: NlMsg[] = [];
    for (let i = 0; i < 1000 && !until(got); i++) {
      const b = t.netlinkRecv(fd, 65536, 2000);
      if (b === null) break;
      got.push(...decodeMessages(b));
    }
    return got;
  }

  it('sends two requests in one buffer and receives both replies and ACKs', () => {
    const fd = t.netlinkOpen();
    try {
      const port = t.netlinkPortId(fd);
      expect(port).toBeGreaterThan(0);
      const w = new NlWriter();
      for (const seq of [11, 12]) {
        const at = w.beginMessage(RtmType.RTM_GETLINK, NlmF.REQUEST | NlmF.ACK, seq);
        encodeLink(w, linkQuery('lo'));
        w.endMessage(at);
      }
      expect(t.netlinkSend(fd, w.finish())).toBe(w.pos);
      const msgs = recvAll(fd, (m) => m.filter((x) => x.type === NLMSG_ERROR).length === 2);
      expect(msgs.map((m) => [m.type, m.seq, m.pid])).toEqual([
        [RtmType.RTM_NEWLINK, 11, port],
        [NLMSG_ERROR, 11, port],
        [RtmType.RTM_NEWLINK, 12, port],
        [NLMSG_ERROR, 12, port],
      ]);
      expect(decodeLink(msgs[0]!.payload).name).toBe('lo');
      expect(decodeError(msgs[1]!).errno).toBe(0);
    } finally {
      t.netlinkClose(fd);
    }
  });

  it('a dump ends with NLMSG_DONE; recv times out with null when nothing is queued', () => {
    const fd = t.netlinkOpen(0, 0);
    try {
      const w = new NlWriter();
      const at = w.beginMessage(RtmType.RTM_GETLINK, NlmF.REQUEST | NlmF.DUMP, 5);
      encodeLink(w, linkQuery());
      w.endMessage(at);
      t.netlinkSend(fd, w.finish());
      const msgs = recvAll(fd, (m) => m.some((x) => x.type === NLMSG_DONE));
      expect(msgs.at(-1)?.type).toBe(NLMSG_DONE);
      expect(
        msgs.filter((m) => m.type === RtmType.RTM_NEWLINK).map((m) => decodeLink(m.payload).name),
      ).toContain('lo');
      const started = performance.now();
      expect(t.netlinkRecv(fd, 65536, 50)).toBeNull();
      expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    } finally {
      t.netlinkClose(fd);
    }
  });

  it('reports kernel errors with extended ACK text (NETLINK_EXT_ACK is on)', () => {
    const fd = t.netlinkOpen();
    try {
      const w = new NlWriter();
      const at = w.beginMessage(RtmType.RTM_GETLINK, NlmF.REQUEST | NlmF.ACK, 9);
      encodeLink(w, { ...linkQuery(), index: 0x7ffffff0 });
      w.endMessage(at);
      t.netlinkSend(fd, w.finish());
      const [m] = recvAll(fd, (x) => x.length > 0);
      const e = decodeError(m!);
      expect(e.errno).toBe(19); // ENODEV
      expect((m!.flags & NlmF.CAPPED) !== 0).toBe(true); // NETLINK_CAP_ACK
    } finally {
      t.netlinkClose(fd);
    }
  });

  it('rejects bad arguments with TypeErrors', () => {
    expect(() => t.netlinkSend('x' as unknown as number, Buffer.alloc(0))).toThrow(TypeError);
    expect(() => {
      t.netlinkWatch(1, 'nope' as unknown as () => void);
    }).toThrow(TypeError);
  });
});
