/**
 * What nvad created in the kernel, persisted next to the instance lock, so that after a crash
 * (kill -9, OOM) the next instance knows which leftovers are its own to clean up, and still never
 * touches objects that existed before nvad. Written on every change; the file disappears once
 * nothing is owned (so after a clean shutdown).
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export interface OwnershipStore {
  /** Keys recorded by a previous instance that did not shut down cleanly (empty when none). */
  loadPrevious(kind: string): readonly string[];
  save(kind: string, keys: readonly string[]): void;
  /** Forget everything (clean shutdown). */
  clear(): void;
}

type State = Record<string, string[]>;

export class FileOwnershipStore implements OwnershipStore {
  private readonly path: string;
  private readonly previous: State;
  private readonly current: State = {};

  constructor(path: string) {
    this.path = path;
    this.previous = FileOwnershipStore.read(path);
  }

  private static read(path: string): State {
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (data === null || typeof data !== 'object' || Array.isArray(data)) return {};
      const out: State = {};
      for (const [k, v] of Object.entries(data)) {
        if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
      }
      return out;
    } catch {
      return {};
    }
  }

  loadPrevious(kind: string): readonly string[] {
    return this.previous[kind] ?? [];
  }

  save(kind: string, keys: readonly string[]): void {
    this.current[kind] = [...keys];
    if (Object.values(this.current).every((k) => k.length === 0)) {
      this.clear();
      return;
    }
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.current) + '\n', { mode: 0o644 });
    renameSync(tmp, this.path);
  }

  clear(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** In-memory store (tests, and when no run directory is available). */
export class MemoryOwnershipStore implements OwnershipStore {
  readonly saved = new Map<string, string[]>();
  private readonly previous: Map<string, string[]>;
  cleared = false;

  constructor(previous: Record<string, string[]> = {}) {
    this.previous = new Map(Object.entries(previous));
  }

  loadPrevious(kind: string): readonly string[] {
    return this.previous.get(kind) ?? [];
  }

  save(kind: string, keys: readonly string[]): void {
    this.saved.set(kind, [...keys]);
  }

  clear(): void {
    this.cleared = true;
    this.saved.clear();
  }
}
