/**
 * Queue depth (tasks in flight) over time: the current depth, its maximum, and the time-weighted
 * integral from which the mean depth over the capture follows. O(1) memory and work per change.
 */
export class QueueDepth {
  depth = 0;
  max = 0;
  /** Σ depth × duration, in task·ns. */
  integral = 0;
  firstNs = NaN;
  lastNs = NaN;

  /** Moves the clock to `timeNs`, accumulating the depth held since the last change. */
  advance(timeNs: number): void {
    if (this.lastNs !== this.lastNs) {
      this.firstNs = this.lastNs = timeNs;
      return;
    }
    if (timeNs > this.lastNs) {
      this.integral += this.depth * (timeNs - this.lastNs);
      this.lastNs = timeNs;
    }
  }

  increment(timeNs: number): void {
    this.advance(timeNs);
    if (++this.depth > this.max) this.max = this.depth;
  }

  decrement(timeNs: number): void {
    this.advance(timeNs);
    if (this.depth > 0) this.depth--;
  }

  /** Tasks left in flight at the end of a trace stop counting there. */
  reset(timeNs: number): void {
    this.advance(timeNs);
    this.depth = 0;
  }

  /** Time-weighted mean depth over [firstNs, endNs]. */
  mean(endNs = this.lastNs): number {
    const span = endNs - this.firstNs;
    if (!(span > 0)) return this.depth;
    const tail = endNs > this.lastNs ? this.depth * (endNs - this.lastNs) : 0;
    return (this.integral + tail) / span;
  }
}
