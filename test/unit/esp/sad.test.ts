import { describe, expect, it } from 'vitest';
import type {
  ChildSaEvent,
  ChildSaInstaller,
  ChildSaParams,
  EspPath,
  SaLifetime,
} from '../../../src/ike/ports.js';
import { EspSad, manualSaPair } from '../../../src/esp/sad.js';
import { FakeClock } from '../../support/fake-clock.js';
import { DetRng } from '../../support/det-rng.js';

const rng = new DetRng('sad');
const path: EspPath = {
  local: { address: '192.0.2.1', port: 4500 },
  remote: { address: '198.51.100.7', port: 4500 },
  udpEncap: true,
};
const noLife: SaLifetime = { softSec: null, hardSec: null, softKb: null, hardKb: null };

function params(spi: number, lifetime: SaLifetime = noLife): ChildSaParams {
  return {
    spi,
    encryption: 'aes-gcm-256',
    integrity: null,
    encKey: rng.bytes(36),
    integKey: null,
    esn: false,
    replayWindow: 64,
    lifetime,
  };
}

function setup(): { clock: FakeClock; sad: EspSad; events: ChildSaEvent[] } {
  const clock = new FakeClock();
  const sad = new EspSad(clock);
  const events: ChildSaEvent[] = [];
  sad.onEvent((e) => events.push(e));
  return { clock, sad, events };
}

describe('EspSad as ChildSaInstaller', () => {
  it('implements the IKE port structurally (IKE never imports ESP)', () => {
    const installer: ChildSaInstaller = new EspSad(new FakeClock());
    installer.addInbound('T', params(0x9), path);
    expect(installer.counters('T', 0x9, 'in')).toEqual({
      packets: 0n,
      bytes: 0n,
      lastUsedMs: null,
    });
  });

  it('is up only while an outbound SA is installed', () => {
    const { sad } = setup();
    sad.addInbound('Tunnel1', params(0x1001), path);
    expect(sad.isUp('Tunnel1')).toBe(false);
    sad.setOutbound('Tunnel1', params(0x2001), path);
    expect(sad.isUp('Tunnel1')).toBe(true);
    expect(sad.path('Tunnel1')).toEqual(path);
    sad.delete('Tunnel1', 0x2001, 'out');
    expect(sad.isUp('Tunnel1')).toBe(false);
  });

  it('make-before-break: new inbound accepted before the outbound switch, old inbound kept until deleted', () => {
    const { sad } = setup();
    sad.addInbound('T', params(0xa1), path);
    sad.setOutbound('T', params(0xb1), path);
    // rekey: new inbound first
    sad.addInbound('T', params(0xa2), path);
    expect(sad.inbound(0xa1)?.tunnel).toBe('T');
    expect(sad.inbound(0xa2)?.tunnel).toBe('T');
    expect(sad.outbound('T')?.params.spi).toBe(0xb1);
    // then the outbound switch
    sad.setOutbound('T', params(0xb2), path);
    expect(sad.outbound('T')?.params.spi).toBe(0xb2);
    // deleting the previous outbound SPI afterwards is a no-op
    sad.delete('T', 0xb1, 'out');
    expect(sad.outbound('T')?.params.spi).toBe(0xb2);
    // old inbound still decrypts until IKE deletes it
    expect(sad.inbound(0xa1)).toBeDefined();
    sad.delete('T', 0xa1, 'in');
    expect(sad.inbound(0xa1)).toBeUndefined();
    expect(sad.inbound(0xa2)).toBeDefined();
  });

  it('counts packets and bytes per SA and direction', () => {
    const { sad, clock } = setup();
    sad.addInbound('T', params(0x11), path);
    const isa = sad.inbound(0x11);
    expect(isa).toBeDefined();
    clock.advance(500);
    sad.account(isa!, 100);
    sad.account(isa!, 50);
    expect(sad.counters('T', 0x11, 'in')).toEqual({ packets: 2n, bytes: 150n, lastUsedMs: 500 });
    expect(sad.counters('T', 0x11, 'out')).toBeNull();
    expect(sad.counters('X', 0x11, 'in')).toBeNull();
  });

  it('refuses an inbound SPI already used by another tunnel', () => {
    const { sad } = setup();
    sad.addInbound('A', params(0x77), path);
    expect(() => {
      sad.addInbound('B', params(0x77), path);
    }).toThrow(/already in use/);
  });

  it('updatePath changes where ESP goes (NAT mapping change)', () => {
    const { sad } = setup();
    sad.setOutbound('T', params(0x1), path);
    const moved = { ...path, remote: { address: '198.51.100.7', port: 31000 } };
    sad.updatePath('T', moved);
    expect(sad.path('T')).toEqual(moved);
  });

  it('soft and hard lifetimes by time, on the injected clock', () => {
    const { sad, clock, events } = setup();
    const life = { softSec: 3000, hardSec: 3600, softKb: null, hardKb: null };
    sad.addInbound('T', params(0x21, life), path);
    sad.setOutbound('T', params(0x22, life), path);
    clock.advance(2_999_999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([
      { kind: 'soft-expire', tunnel: 'T', spi: 0x21, direction: 'in', reason: 'time' },
      { kind: 'soft-expire', tunnel: 'T', spi: 0x22, direction: 'out', reason: 'time' },
    ]);
    clock.advance(600_000);
    expect(events.slice(2)).toEqual([
      { kind: 'hard-expire', tunnel: 'T', spi: 0x21, direction: 'in', reason: 'time' },
      { kind: 'hard-expire', tunnel: 'T', spi: 0x22, direction: 'out', reason: 'time' },
    ]);
    expect(sad.inbound(0x21)).toBeUndefined();
    expect(sad.isUp('T')).toBe(false);
    expect(clock.pendingCount).toBe(0);
  });

  it('deleting an SA cancels its lifetime timers', () => {
    const { sad, clock, events } = setup();
    sad.addInbound(
      'T',
      params(0x31, { softSec: 10, hardSec: 20, softKb: null, hardKb: null }),
      path,
    );
    expect(clock.pendingCount).toBe(2);
    sad.delete('T', 0x31, 'in');
    expect(clock.pendingCount).toBe(0);
    clock.advance(30_000);
    expect(events).toEqual([]);
  });

  it('soft and hard lifetimes by kilobytes (1 KB = 1024 bytes)', () => {
    const { sad, events } = setup();
    sad.setOutbound(
      'T',
      params(0x41, { softSec: null, hardSec: null, softKb: 2, hardKb: 3 }),
      path,
    );
    const osa = sad.outbound('T')!;
    expect(sad.account(osa, 1500)).toBe(true);
    expect(events).toEqual([]);
    expect(sad.account(osa, 548)).toBe(true); // 2048 bytes
    expect(events).toEqual([
      { kind: 'soft-expire', tunnel: 'T', spi: 0x41, direction: 'out', reason: 'bytes' },
    ]);
    expect(sad.account(osa, 1000)).toBe(true); // 3048: no second soft event
    expect(events).toHaveLength(1);
    expect(sad.account(osa, 24)).toBe(false); // 3072: hard
    expect(events[1]).toEqual({
      kind: 'hard-expire',
      tunnel: 'T',
      spi: 0x41,
      direction: 'out',
      reason: 'bytes',
    });
    expect(sad.isUp('T')).toBe(false);
  });

  it('snapshot lists SAs without key material', () => {
    const { sad } = setup();
    sad.addInbound('T', params(0x51), path);
    sad.setOutbound('T', params(0x52), path);
    const snap = sad.snapshot();
    expect(snap.map((s) => [s.spi, s.direction])).toEqual([
      [0x51, 'in'],
      [0x52, 'out'],
    ]);
    expect(
      JSON.stringify(snap, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    ).not.toMatch(/encKey|integKey/);
  });

  it('removeTunnel drops every SA and timer', () => {
    const { sad, clock } = setup();
    const life = { softSec: 10, hardSec: 20, softKb: null, hardKb: null };
    sad.addInbound('T', params(0x61, life), path);
    sad.setOutbound('T', params(0x62, life), path);
    sad.removeTunnel('T');
    expect(sad.inbound(0x61)).toBeUndefined();
    expect(sad.isUp('T')).toBe(false);
    expect(clock.pendingCount).toBe(0);
  });

  it('validates key sizes against the transform', () => {
    const { sad } = setup();
    expect(() => {
      sad.addInbound('T', { ...params(1), encKey: Buffer.alloc(32) }, path);
    }).toThrow(/36 bytes/);
    expect(() => {
      sad.setOutbound(
        'T',
        { ...params(2), encryption: 'aes-cbc-128', encKey: Buffer.alloc(16) },
        path,
      );
    }).toThrow(/integrity/);
  });
});

describe('manualSaPair (config manual-sa)', () => {
  it('builds both directions from hex keys', () => {
    const pair = manualSaPair({
      encryption: 'aes-cbc-256',
      integrity: 'sha256',
      spiIn: 0x100,
      spiOut: 0x200,
      encKeyInHex: '11'.repeat(32),
      encKeyOutHex: '22'.repeat(32),
      integKeyInHex: '33'.repeat(32),
      integKeyOutHex: '0x' + '44'.repeat(32),
      esn: true,
    });
    expect(pair.inbound.spi).toBe(0x100);
    expect(pair.outbound.spi).toBe(0x200);
    expect(pair.inbound.encKey.equals(Buffer.alloc(32, 0x11))).toBe(true);
    expect(pair.outbound.integKey?.equals(Buffer.alloc(32, 0x44))).toBe(true);
    expect(pair.inbound.esn).toBe(true);
    expect(pair.inbound.replayWindow).toBe(1024);
    expect(pair.inbound.lifetime).toEqual({
      softSec: null,
      hardSec: null,
      softKb: null,
      hardKb: null,
    });
  });

  it('rejects wrong sizes and non-hex without echoing the key', () => {
    const secret = 'deadbeefcafe';
    const base = {
      encryption: 'aes-gcm-128' as const,
      integrity: null,
      spiIn: 1,
      spiOut: 2,
      encKeyInHex: '00'.repeat(20),
      encKeyOutHex: '00'.repeat(20),
    };
    expect(() => manualSaPair(base)).not.toThrow();
    for (const bad of [secret, `${secret}zz`]) {
      let message = '';
      try {
        manualSaPair({ ...base, encKeyOutHex: bad });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(secret);
    }
  });
});
