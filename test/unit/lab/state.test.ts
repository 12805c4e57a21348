/** The lab's state file: round trip, owner-only files, and a damaged file named in the error. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  labDir,
  readState,
  writeLabFile,
  writeState,
  type LabState,
} from '../../../src/lab/state.js';

const root = mkdtempSync(join(tmpdir(), 'nvlab-state-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('lab state', () => {
  it('round-trips and keeps files owner-only in a traversable directory', () => {
    const dir = labDir('x1', { NVAD_LAB_DIR: root });
    expect(dir).toBe(join(root, 'x1'));
    const state: LabState = {
      lab: 'x1',
      gateway: 'strongswan',
      createdAt: '2026-01-01T00:00:00.000Z',
      daemons: [],
      processes: [{ node: 'gw0', netns: 'nvlab-x1-gw0', name: 'charon', pid: 1234 }],
      complete: true,
    };
    writeState(dir, state);
    expect(readState(dir)).toEqual(state);
    const psk = writeLabFile(dir, 'psk-conn10', 'secret\n');
    expect(statSync(psk).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o711);
  });

  it('is undefined when missing, and a damaged file is an error that says what to do', () => {
    expect(readState(join(root, 'none'))).toBeUndefined();
    const dir = labDir('x2', { NVAD_LAB_DIR: root });
    writeLabFile(dir, 'state.json', '{ not json');
    expect(() => readState(dir)).toThrow(
      /state\.json is not valid; "nvad lab down" removes the lab/,
    );
    writeFileSync(join(dir, 'state.json'), '{"lab": 1}');
    expect(() => readState(dir)).toThrow(/is not valid/);
  });
});
