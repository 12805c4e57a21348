/**
 * Request/reply matching of NetlinkSocket over a scripted transport (the real addon and kernel
 * are exercised in test/integration/kernel). The script answers like the kernel: by seq and pid.
 */
import { describe, expect, it } from 'vitest';
import { KernelError } from '../../../../src/kernel/errors.js';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NlmF,
  RtmType,
} from '../../../../src/kernel/netlink/constants.js';
import { NetlinkSocket, type NetlinkTransport } from '../../../../src/kernel/netlink/socket.js';
import { decodeMessages, NlWriter, type NlMsg } from '../../../../src/kernel/netlink/wire.js';

const PORT = 4242;

class ScriptedTransport implements NetlinkTransport {
  sent: NlMsg[] = [];
  cb: ((data: Buffer | null, errno: number) => void) | null = null;
  refs: boolean[] = [];
  closed = false;
  netlinkOpen(): number {
    return 7;
  }
  netlinkSend(_fd: number, buf: Uint8Array): number {
    this.sent.push(...decodeMessages(Buffer.from(buf)));
    return buf.length;
  }
  netlinkRecv(): Buffer | null {
    return null;
  }
  netlinkAddMembership(): void {}
  netlinkPortId(): number {
    return PORT;
  }
  netlinkWatch(_fd: number, cb: (data: Buffer | null, errno: number) => void): void {
    this.cb = cb;
  }
  netlinkWatchRef(_fd: number, ref: boolean): void {
    this.refs.push(ref);
  }
  netlinkUnwatch(): void {}
  netlinkClose(): void {
    this.closed = true;
  }
  deliver(build: (w: NlWriter) => void): void {
    const w = new NlWriter();
    build(w);
    this.cb?.(w.finish(), 0);
  }
}

function ack(w: NlWriter, req: NlMsg, errno = 0, text?: string): void {
  const at = w.beginMessage(NLMSG_ERROR, NlmF.CAPPED | (text ? NlmF.ACK_TLVS : 0), req.seq, PORT);
  w.i32(-errno).u32(16).u16(req.type).u16(req.flags).u32(req.seq).u32(0);
  if (text) w.attrString(1, text);
  w.endMessage(at);
}

describe('NetlinkSocket', () => {
  it('matches ACKs and errors to requests by sequence number, in any order', async () => {
    const t = new ScriptedTransport();
    const s = new NetlinkSocket({ transport: t });
    const a = s.request(RtmType.RTM_NEWADDR, NlmF.CREATE, () => {});
    const b = s.request(RtmType.RTM_NEWROUTE, NlmF.CREATE, () => {});
    expect(t.sent.map((m) => m.flags & (NlmF.REQUEST | NlmF.ACK))).toEqual([5, 5]);
    expect(t.sent[0]!.seq).not.toBe(t.sent[1]!.seq);
    t.deliver((w) => {
      ack(w, t.sent[1]!, 17, 'exists');
      ack(w, t.sent[0]!);
    });
    expect(await a).toEqual({ ok: true, msgs: [] });
    expect(await b).toEqual({ ok: false, errno: 17, extAck: 'exists' });
    expect(s.outstanding).toBe(0);
    // ref'd while requests were outstanding, unref'd at creation and when idle again
    expect(t.refs).toEqual([false, true, false]);
    s.close();
    expect(t.closed).toBe(true);
  });

  it('collects a multipart dump until NLMSG_DONE and runs one dump at a time', async () => {
    const t = new ScriptedTransport();
    const s = new NetlinkSocket({ transport: t });
    const d1 = s.request(RtmType.RTM_GETLINK, NlmF.DUMP, () => {});
    const d2 = s.request(RtmType.RTM_GETADDR, NlmF.DUMP, () => {});
    await Promise.resolve();
    expect(t.sent).toHaveLength(1); // the second dump waits for the first (kernel: EBUSY)
    const first = t.sent[0]!;
    expect(first.flags & NlmF.ACK).toBe(0);
    t.deliver((w) => {
      for (const i of [1, 2]) {
        const at = w.beginMessage(RtmType.RTM_NEWLINK, NlmF.MULTI, first.seq, PORT);
        w.u32(i);
        w.endMessage(at);
      }
    });
    t.deliver((w) => {
      const at = w.beginMessage(NLMSG_DONE, NlmF.MULTI, first.seq, PORT);
      w.i32(0);
      w.endMessage(at);
    });
    const r1 = await d1;
    expect(r1.ok && r1.msgs.map((m) => m.payload.readUInt32LE(0))).toEqual([1, 2]);
    await new Promise((r) => setImmediate(r));
    expect(t.sent).toHaveLength(2);
    t.deliver((w) => {
      const at = w.beginMessage(NLMSG_DONE, NlmF.MULTI, t.sent[1]!.seq, PORT);
      w.i32(-4); // dump failed: -EINTR
      w.endMessage(at);
    });
    expect(await d2).toEqual({ ok: false, errno: 4, extAck: null });
    s.close();
  });

  it('passes messages that answer no request (seq 0, other pid) to onNotification', () => {
    const t = new ScriptedTransport();
    const seen: number[] = [];
    const s = new NetlinkSocket({ transport: t, onNotification: (m) => seen.push(m.type) });
    t.deliver((w) => {
      let at = w.beginMessage(RtmType.RTM_NEWLINK, 0, 0, 0);
      w.u32(0);
      w.endMessage(at);
      at = w.beginMessage(RtmType.RTM_DELLINK, 0, 99, 1);
      w.u32(0);
      w.endMessage(at);
    });
    expect(seen).toEqual([RtmType.RTM_NEWLINK, RtmType.RTM_DELLINK]);
    s.close();
  });

  it('fails every outstanding request when the receive queue overflowed (ENOBUFS)', async () => {
    const t = new ScriptedTransport();
    const errors: KernelError[] = [];
    const s = new NetlinkSocket({ transport: t, onError: (e) => errors.push(e) });
    const a = s.request(RtmType.RTM_NEWROUTE, 0, () => {});
    t.cb?.(null, 105);
    await expect(a).rejects.toThrow('netlink receive: No buffer space available');
    expect(errors).toHaveLength(1);
    s.close();
    await expect(s.request(RtmType.RTM_NEWROUTE, 0, () => {})).rejects.toThrow('socket closed');
  });

  it('settles a batch range on its last seq, keeping only the failures', async () => {
    const t = new ScriptedTransport();
    const s = new NetlinkSocket({ transport: t });
    const first = s.nextSeqRange(3);
    const done = s.expectRange(first, first + 2);
    expect(s.outstanding).toBe(1);
    const req = (seq: number): NlMsg => ({
      type: RtmType.RTM_NEWROUTE,
      flags: 0,
      seq,
      pid: 0,
      payload: Buffer.alloc(0),
    });
    t.deliver((w) => {
      ack(w, req(first + 1), 22, 'Nexthop id does not exist');
    });
    expect(s.outstanding).toBe(1);
    t.deliver((w) => {
      ack(w, req(first + 2));
    });
    expect(await done).toEqual([
      { seq: first + 1, errno: 22, extAck: 'Nexthop id does not exist' },
    ]);
    expect(s.outstanding).toBe(0);
    expect(s.nextSeq()).toBe(first + 3);
    s.close();
  });
});
