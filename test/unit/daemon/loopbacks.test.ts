import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileOwnershipStore, MemoryOwnershipStore } from '../../../src/daemon/ownership.js';
import { LoopbackComponent, loopbackKey } from '../../../src/daemon/loopbacks.js';
import { silentLogger } from '../../../src/lib/log.js';
import { diffConfig } from '../../../src/config/index.js';
import { testConfig } from './config-fixture.js';

const EMPTY_DIFF = diffConfig(testConfig(), testConfig());
import { MemoryKernel } from './fake-kernel.js';

function setup(): { kernel: MemoryKernel; lb: LoopbackComponent } {
  const kernel = new MemoryKernel();
  return { kernel, lb: new LoopbackComponent({ kernel, logger: silentLogger() }) };
}

describe('loopbackKey', () => {
  it('canonicalises addresses (RFC 5952 for IPv6)', () => {
    expect(loopbackKey('169.254.21.1/32')).toBe('169.254.21.1/32');
    expect(loopbackKey('2001:DB8:0:0::1/128')).toBe('2001:db8::1/128');
    expect(() => loopbackKey('nonsense')).toThrow('invalid loopback address nonsense');
  });
});

describe('LoopbackComponent', () => {
  it('adds the configured addresses on start and removes them on stop', async () => {
    const { kernel, lb } = setup();
    await lb.start(testConfig({ loopbacks: ['169.254.21.1/32', '2001:db8::1/128'] }));
    expect(kernel.addressesOf('lo')).toEqual([
      '127.0.0.1/8',
      '::1/128',
      '169.254.21.1/32',
      '2001:db8::1/128',
    ]);
    expect(lb.status()).toEqual({
      name: 'loopbacks',
      state: 'running',
      detail: '2 loopback addresses on lo (2 added by nvad)',
    });
    expect(lb.interfaces()).toEqual(['lo']);
    await lb.stop();
    expect(kernel.addressesOf('lo')).toEqual(['127.0.0.1/8', '::1/128']);
    expect(lb.status().state).toBe('stopped');
  });

  it('brings lo up when it is down', async () => {
    const { kernel, lb } = setup();
    const lo = kernel.links.get('lo');
    if (lo) lo.up = false;
    await lb.start(testConfig());
    expect(kernel.calls[0]).toBe('link lo up');
    expect(kernel.links.get('lo')?.up).toBe(true);
  });

  it('adopts pre-existing addresses and never removes them', async () => {
    const { kernel, lb } = setup();
    await kernel.addAddress('lo', '169.254.21.1/32');
    kernel.calls.length = 0;
    await lb.start(testConfig({ loopbacks: ['169.254.21.1/32', '169.254.21.5/32'] }));
    expect(kernel.calls).toEqual(['add lo 169.254.21.5/32']);
    expect(lb.status().detail).toBe('2 loopback addresses on lo (1 added by nvad)');
    // A reload dropping the pre-existing one releases it without deleting it.
    await lb.apply(EMPTY_DIFF, testConfig({ loopbacks: ['169.254.21.5/32'] }));
    expect(kernel.addressesOf('lo')).toContain('169.254.21.1/32');
    await lb.stop();
    expect(kernel.calls).toEqual(['add lo 169.254.21.5/32', 'del lo 169.254.21.5/32']);
    expect(kernel.addressesOf('lo')).toEqual(['127.0.0.1/8', '::1/128', '169.254.21.1/32']);
  });

  it('applies a reload by touching only the changed addresses', async () => {
    const { kernel, lb } = setup();
    await lb.start(testConfig({ loopbacks: ['169.254.21.1/32', '169.254.22.1/32'] }));
    kernel.calls.length = 0;
    await lb.apply(EMPTY_DIFF, testConfig({ loopbacks: ['169.254.22.1/32', '169.254.23.1/32'] }));
    expect(kernel.calls).toEqual(['del lo 169.254.21.1/32', 'add lo 169.254.23.1/32']);
    kernel.calls.length = 0;
    await lb.apply(EMPTY_DIFF, testConfig({ loopbacks: ['169.254.22.1/32', '169.254.23.1/32'] }));
    expect(kernel.calls).toEqual([]);
    expect(lb.createdAddresses()).toEqual(['169.254.22.1/32', '169.254.23.1/32']);
  });

  it('undoes its partial work when start fails', async () => {
    const { kernel, lb } = setup();
    kernel.failAdd = '169.254.21.2/32';
    await expect(
      lb.start(testConfig({ loopbacks: ['169.254.21.1/32', '169.254.21.2/32'] })),
    ).rejects.toThrow('Permission denied');
    expect(kernel.addressesOf('lo')).toEqual(['127.0.0.1/8', '::1/128']);
    expect(lb.status()).toMatchObject({
      state: 'failed',
      detail: expect.stringContaining('Permission denied'),
    });
  });
});

describe('LoopbackComponent after a crash (ownership record)', () => {
  it('reclaims still-configured leftovers and removes unconfigured ones, never pre-existing ones', async () => {
    const kernel = new MemoryKernel();
    // Left behind by a crashed run: .1 and .2 (recorded); .9 was there before nvad (not recorded).
    for (const a of ['169.254.21.1/32', '169.254.21.2/32', '169.254.21.9/32'])
      await kernel.addAddress('lo', a);
    const ownership = new MemoryOwnershipStore({
      loopbacks: ['169.254.21.1/32', '169.254.21.2/32', '10.9.9.9/32'],
    });
    const lb = new LoopbackComponent({ kernel, logger: silentLogger(), ownership });
    kernel.calls.length = 0;
    await lb.start(
      testConfig({ loopbacks: ['169.254.21.1/32', '169.254.21.9/32', '169.254.21.3/32'] }),
    );
    expect(kernel.calls).toEqual(['del lo 169.254.21.2/32', 'add lo 169.254.21.3/32']);
    expect(lb.createdAddresses()).toEqual(['169.254.21.1/32', '169.254.21.3/32']);
    expect(ownership.saved.get('loopbacks')).toEqual(['169.254.21.1/32', '169.254.21.3/32']);
    await lb.stop();
    expect(kernel.addressesOf('lo')).toEqual(['127.0.0.1/8', '::1/128', '169.254.21.9/32']);
    expect(ownership.saved.get('loopbacks')).toEqual([]);
  });
});

describe('FileOwnershipStore', () => {
  it('persists across instances and removes the file once nothing is owned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nvad-own-'));
    try {
      const path = join(dir, 'x.state.json');
      const a = new FileOwnershipStore(path);
      expect(a.loadPrevious('loopbacks')).toEqual([]);
      a.save('loopbacks', ['169.254.21.1/32']);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ loopbacks: ['169.254.21.1/32'] });
      // A new instance (after a crash) sees what the previous one owned.
      const b = new FileOwnershipStore(path);
      expect(b.loadPrevious('loopbacks')).toEqual(['169.254.21.1/32']);
      b.save('loopbacks', []);
      expect(existsSync(path)).toBe(false);
      writeFileSync(path, 'not json');
      expect(new FileOwnershipStore(path).loadPrevious('loopbacks')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
