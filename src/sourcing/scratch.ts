/**
 * Reusable typed arrays for the planner's hot path. A typed array of any size gets its own
 * backing store outside the JavaScript heap, and allocating several per plan cost more than
 * the plan's arithmetic (and fed the garbage collector). The planner is synchronous and never
 * re-entered, so each caller keeps one Scratch and takes numbered slots from it; a slot's
 * view is valid until the same slot is taken again. Nothing taken from here may be kept
 * after the call that took it returns.
 */
export class Scratch {
  private readonly floats: Float64Array[] = [];
  private readonly ints: Int32Array[] = [];

  /** A Float64Array view of `size` elements in slot `slot`, zero-filled unless the caller writes every element first (`zero` false). */
  f64(slot: number, size: number, zero = true): Float64Array {
    let buf = this.floats[slot];
    if (!buf || buf.length < size) buf = this.floats[slot] = new Float64Array(Math.max(64, size, 2 * (buf?.length ?? 0)));
    const view = buf.subarray(0, size);
    if (zero) view.fill(0);
    return view;
  }

  /** An Int32Array view of `size` elements in slot `slot`, zero-filled unless the caller writes every element first (`zero` false). */
  i32(slot: number, size: number, zero = true): Int32Array {
    let buf = this.ints[slot];
    if (!buf || buf.length < size) buf = this.ints[slot] = new Int32Array(Math.max(64, size, 2 * (buf?.length ?? 0)));
    const view = buf.subarray(0, size);
    if (zero) view.fill(0);
    return view;
  }
}
