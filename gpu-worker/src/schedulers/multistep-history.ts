/**
 * The model outputs a DPM-family multistep solver (DPM-Solver++, DEIS, UniPC) extrapolates from:
 * the converted outputs of the last `solverOrder` steps, newest last, and diffusers'
 * `lower_order_nums` (how many steps have been taken, up to `solverOrder`), which holds the
 * order down while the history fills.
 */
export class MultistepHistory {
  private outputs: Float32Array[] = [];
  private lowerOrderNums = 0;

  constructor(readonly solverOrder: number) {}

  /** A new schedule starts with no history. */
  reset(): void {
    this.outputs = [];
    this.lowerOrderNums = 0;
  }

  /** Once the history is full, the oldest output leaves it; its buffer can hold the newest. */
  recycle(): Float32Array | undefined {
    return this.outputs.length === this.solverOrder ? this.outputs.shift() : undefined;
  }

  push(output: Float32Array): void {
    this.outputs.push(output);
  }

  /** The output `back` steps before the newest (0: the newest). */
  newest(back = 0): Float32Array {
    return this.outputs[this.outputs.length - 1 - back];
  }

  /** How many steps the solver has taken since the schedule began, up to solverOrder. */
  get warmSteps(): number {
    return this.lowerOrderNums;
  }

  /** Counts a finished step. */
  stepped(): void {
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums++;
  }

  /**
   * diffusers' order choice of DPM-Solver++ and DEIS: first order until one output is stored,
   * second until two are, and lower at the end where `finalLower` / `secondLower` say so.
   */
  order(finalLower: boolean, secondLower: boolean): number {
    if (this.solverOrder === 1 || this.lowerOrderNums < 1 || finalLower) return 1;
    if (this.solverOrder === 2 || this.lowerOrderNums < 2 || secondLower) return 2;
    return 3;
  }
}
