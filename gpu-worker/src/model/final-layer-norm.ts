/** Rows of `data` ([tokens, hidden]) normalised to zero mean and unit variance (LayerNorm without its affine part). */
function normalizeRows(data: Float32Array, hidden: number, eps: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let row = 0; row < data.length; row += hidden) {
    let mean = 0;
    for (let h = 0; h < hidden; h++) mean += data[row + h];
    mean /= hidden;
    let variance = 0;
    for (let h = 0; h < hidden; h++) variance += (data[row + h] - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / hidden + eps);
    for (let h = 0; h < hidden; h++) out[row + h] = (data[row + h] - mean) * scale;
  }
  return out;
}

/**
 * Recovers the text encoder's final LayerNorm from one run: `after` = LayerNorm(`before`),
 * i.e. after[t, h] = gamma[h] * z[t, h] + beta[h] with z the normalised rows of `before`.
 * For each channel that is a line through the (z, after) points of every token, so gamma
 * and beta are a least-squares fit over the tokens, exact up to float32 rounding. The fit's
 * residual is checked: an export whose last_hidden_state is not the layer norm of its last
 * hidden_states output is refused rather than silently mis-normalised.
 * Returns the LayerNorm as a function of another layer's hidden states.
 */
export function finalLayerNormFrom(
  before: Float32Array,
  after: Float32Array,
  hidden: number,
  eps: number,
): (states: Float32Array) => Float32Array {
  const z = normalizeRows(before, hidden, eps);
  const tokens = before.length / hidden;
  const gamma = new Float64Array(hidden);
  const beta = new Float64Array(hidden);
  let worst = 0;
  let scale = 0;
  for (let h = 0; h < hidden; h++) {
    let mz = 0;
    let my = 0;
    for (let t = 0; t < tokens; t++) {
      mz += z[t * hidden + h];
      my += after[t * hidden + h];
    }
    mz /= tokens;
    my /= tokens;
    let szz = 0;
    let szy = 0;
    for (let t = 0; t < tokens; t++) {
      const dz = z[t * hidden + h] - mz;
      szz += dz * dz;
      szy += dz * (after[t * hidden + h] - my);
    }
    // A channel that is the same for every token has no slope to fit; its output is then
    // constant too, so gamma only matters for other layers: take the identity scale.
    gamma[h] = szz > 1e-12 ? szy / szz : 1;
    beta[h] = my - gamma[h] * mz;
    for (let t = 0; t < tokens; t++) {
      const y = after[t * hidden + h];
      worst = Math.max(worst, Math.abs(gamma[h] * z[t * hidden + h] + beta[h] - y));
      scale = Math.max(scale, Math.abs(y));
    }
  }
  // float16 exports round each output to ~1e-3 relative; a wrong norm misses by O(1).
  if (worst > 1e-2 * Math.max(1, scale)) {
    throw new Error(
      `text encoder: last_hidden_state is not a layer norm of the last hidden_states output (residual ${worst.toExponential(2)}); clip_skip cannot be applied`,
    );
  }
  return (states) => {
    const norm = normalizeRows(states, hidden, eps);
    const out = new Float32Array(states.length);
    for (let i = 0; i < out.length; i++) {
      const h = i % hidden;
      out[i] = gamma[h] * norm[i] + beta[h];
    }
    return out;
  };
}
