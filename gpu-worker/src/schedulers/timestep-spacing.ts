/**
 * The three ways diffusers spreads N inference steps over T training timesteps
 * (Lin et al. 2023, Table 2): `leading`, `trailing`, `linspace`. Reproduced with numpy's
 * arithmetic (linspace as i * step + start, arange's fill, round-half-to-even) because a
 * single off-by-one timestep changes every later value.
 */

/** numpy.round / Python round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.linspace(start, stop, num, endpoint) in float64. */
export function npLinspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num;
  const out = new Array<number>(num);
  if (div <= 0) {
    for (let i = 0; i < num; i++) out[i] = start;
    return out;
  }
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** numpy.arange(start, stop, step) for a float step: first two values, then start + i * delta. */
export function npArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Array<number>(length);
  if (length === 0) return out;
  out[0] = start;
  const delta = start + step - start;
  for (let i = 1; i < length; i++) out[i] = start + i * delta;
  return out;
}

/** `leading`: multiples of T // N plus steps_offset, descending (SD 1.x: 981, 961, ... 1). */
export function leadingTimesteps(numTrain: number, numSteps: number, stepsOffset: number): number[] {
  const ratio = Math.floor(numTrain / numSteps);
  const out: number[] = [];
  for (let i = numSteps - 1; i >= 0; i--) out.push(i * ratio + stepsOffset);
  return out;
}

/** `trailing`: round(arange(T, 0, -T/N)) - 1, descending, always starting at T - 1. */
export function trailingTimesteps(numTrain: number, numSteps: number, last = numTrain): number[] {
  return npArange(last, 0, -numTrain / numSteps).map((t) => roundHalfEven(t) - 1);
}

/** `linspace` rounded to integers: round(linspace(0, T - 1, N)), descending. */
export function linspaceIntegerTimesteps(numTrain: number, numSteps: number): number[] {
  return npLinspace(0, numTrain - 1, numSteps)
    .map(roundHalfEven)
    .reverse();
}
