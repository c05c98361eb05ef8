#!/bin/sh
# Rebuilds models/demo-shapes from nothing: train both stages, check adherence with the
# recipe's own DDIM sampler, export to ONNX, verify onnxruntime against PyTorch.
# Run from anywhere; 27.6 minutes measured on 2 idle cores (see README). Pass --fresh to retrain
# even if tools/demo-model/.work holds checkpoints from an earlier run.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK="$HERE/.work"
OUT="$ROOT/models/demo-shapes"
# Exported and verified here first, so a failed run never leaves a half-written model.
NEXT="$WORK/export"
if [ "${1:-}" = "--fresh" ]; then rm -rf "$WORK"; fi
# OpenBLAS with one thread per torch worker thread; /usr/bin/python3 is Debian's, which
# has python3-torch (a pyenv python3 earlier on PATH would not).
export OPENBLAS_NUM_THREADS=1
PY="nice -n 5 /usr/bin/python3"
cd "$HERE"
# DEMO_THREADS=1 when other jobs share the cores: two torch threads that wait on each
# other at every barrier run ~10x slower than one under heavy contention.
# DEMO_PRECISION=fp32 on CPUs without bfloat16 matrix units (no AMX or AVX512-BF16).
if [ ! -f "$WORK/denoiser.pt" ]; then
  $PY -m ldm_demo.train --work "$WORK" --threads "${DEMO_THREADS:-2}" --precision "${DEMO_PRECISION:-bf16}"
fi
$PY -m ldm_demo.evaluate --work "$WORK" --steps 20 --guidance 5
rm -rf "$NEXT"
mkdir -p "$NEXT"
printf '*.onnx binary\n' > "$NEXT/.gitattributes"
$PY -m ldm_demo.export_onnx --work "$WORK" --out "$NEXT"
cp "$HERE/model-card.md" "$NEXT/README.md"
cd "$ROOT"
npx tsx tools/demo-model/verify/verify-onnx.ts "$NEXT" "$WORK/verify-cases.json"
rm -rf "$OUT"
mv "$NEXT" "$OUT"
echo "models/demo-shapes replaced"
