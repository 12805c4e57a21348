import type { Clock, Timer } from '../../src/lib/clock.js';

interface Entry {
  at: number;
  seq: number;
  timer: FakeTimer;
}

class FakeTimer implements Timer {
  entry: Entry | undefined;
  private readonly clock: FakeClock;
  readonly fn: () => void;
  constructor(clock: FakeClock, fn: () => void) {
    this.clock = clock;
    this.fn = fn;
  }
  get pending(): boolean {
    return this.entry !== undefined;
  }
  cancel(): void {
    if (this.entry) this.clock.remove(this.entry);
    this.entry = undefined;
  }
  reschedule(ms: number): void {
    this.cancel();
    this.entry = this.clock.add(this, ms);
  }
}

/** Deterministic clock: `advance(ms)` fires due timers synchronously, in time then creation order. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly entries: Entry[] = [];
  private readonly wallStart: number;
  constructor(wallStart = Date.UTC(2026, 0, 1)) {
    this.wallStart = wallStart;
  }

  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.wallStart + this.t;
  }
  setTimer(ms: number, fn: () => void): Timer {
    const timer = new FakeTimer(this, fn);
    timer.entry = this.add(timer, ms);
    return timer;
  }
  add(timer: FakeTimer, ms: number): Entry {
    const e = { at: this.t + Math.max(0, ms), seq: this.seq++, timer };
    this.entries.push(e);
    return e;
  }
  remove(e: Entry): void {
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
  }
  /** Number of armed timers. */
  get pendingCount(): number {
    return this.entries.length;
  }
  /** Time until the next timer fires, or undefined. */
  nextIn(): number | undefined {
    const next = this.sorted()[0];
    return next === undefined ? undefined : next.at - this.t;
  }
  private sorted(): Entry[] {
    return [...this.entries].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
  /** Move time forward, firing every timer that falls due (including ones armed while firing). */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const next = this.sorted()[0];
      if (!next || next.at > target) break;
      this.remove(next);
      this.t = next.at;
      next.timer.entry = undefined;
      next.timer.fn();
    }
    this.t = target;
  }
  /** Fire everything pending (bounded, to catch runaway re-arming). */
  runAll(limit = 10_000): void {
    for (let i = 0; i < limit; i++) {
      const next = this.sorted()[0];
      if (!next) return;
      this.advance(next.at - this.t);
    }
    throw new Error('FakeClock.runAll: too many timers');
  }
}
