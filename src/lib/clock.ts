/**
 * The Clock port: monotonic milliseconds and one-shot timers. State machines take a Clock so tests
 * drive them with `test/support/fake-clock.ts` and no sleeps. Only this module (and the composition
 * root) touches real timers.
 */
export interface Timer {
  cancel(): void;
  /** Re-arm to fire `ms` from now (also after it has fired or been cancelled). */
  reschedule(ms: number): void;
  readonly pending: boolean;
}

export interface Clock {
  /** Monotonic milliseconds (not wall-clock). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for display only. */
  wallNow(): number;
  setTimer(ms: number, fn: () => void): Timer;
}

class RealTimer implements Timer {
  private handle: NodeJS.Timeout | undefined;
  private readonly fn: () => void;
  constructor(ms: number, fn: () => void) {
    this.fn = fn;
    this.reschedule(ms);
  }
  get pending(): boolean {
    return this.handle !== undefined;
  }
  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
  reschedule(ms: number): void {
    this.cancel();
    this.handle = setTimeout(
      () => {
        this.handle = undefined;
        this.fn();
      },
      Math.max(0, ms),
    );
    this.handle.unref();
  }
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer: (ms, fn) => new RealTimer(ms, fn),
};
