/**
 * Applies per-token weights to one chunk's hidden states [length, hidden] in place, as the
 * Stable Diffusion web UI does (sd_hijack_clip.py): multiply each token's row by its weight,
 * then scale the whole chunk so its mean is the mean it had before. Without the rescale,
 * weights shift the embedding's overall level and the image drifts away from the prompt.
 * A chunk whose weights are all 1 is left bit-for-bit as the encoder returned it.
 */
export function applyChunkWeights(states: Float32Array, weights: readonly number[], hidden: number): void {
  if (weights.every((w) => w === 1)) return;
  let before = 0;
  for (let i = 0; i < states.length; i++) before += states[i];
  let after = 0;
  for (let t = 0; t < weights.length; t++) {
    const row = t * hidden;
    for (let h = 0; h < hidden; h++) {
      states[row + h] *= weights[t];
      after += states[row + h];
    }
  }
  // A zero mean after weighting (e.g. every token weighted 0 and the rest cancelling) would
  // turn the rescale into Infinity/NaN; the web UI has that bug, here the weights stand unscaled.
  const ratio = before / after;
  if (!Number.isFinite(ratio) || after === 0) return;
  for (let i = 0; i < states.length; i++) states[i] *= ratio;
}
