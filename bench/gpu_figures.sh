#!/usr/bin/env bash
# The GPU figures of the README's Training section: bench/train_throughput.py and
# bench/predict_throughput.py for the qwen3-vl-8b and gemma-4-26b-a4b recipes on one GPU
# (>= 80 GB for the 26B recipe; about 10 minutes on an H100-class GPU). No download: the models are
# the released architectures with random weights (training/configs/), unless local weights are given.
#
#   bash bench/gpu_figures.sh [DATA_DIR]
#
# DATA_DIR: a folder `pisar build` wrote (default: the embedded sample, built here; its rows are
# shorter than real ones, see the README). Environment: PYTHON (default python), OUT (logs, default
# gpu-figures/), QWEN_PATH / GEMMA_PATH (local weights folders: measured with the real weights and
# tokenizer instead), TRAIN_STEPS (default 6), PREDICT_ROWS (default 32).
# The last lines it prints are the machine-readable lines to paste into the README.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${OUT:-gpu-figures}
TRAIN_STEPS=${TRAIN_STEPS:-6}
PREDICT_ROWS=${PREDICT_ROWS:-32}
mkdir -p "$OUT"

DATA=${1:-}
if [ -z "$DATA" ]; then
  WORK=$(mktemp -d)
  DATA=$WORK/pisar
  "$PY" -m pisar_data.cli build --out "$DATA" --work "$WORK/work" --quiet
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"

run() {  # recipe, local weights folder or ""
  local recipe=$1 weights=$2 train_model=() predict_model=random:$1
  if [ -n "$weights" ]; then train_model=(--model-path "$weights"); predict_model=hf:$weights; fi
  "$PY" bench/train_throughput.py --recipe "$recipe" --steps "$TRAIN_STEPS" --data "$DATA" "${train_model[@]}" 2>&1 | tee "$OUT/train-$recipe.log"
  # 128 new tokens: about a real answer's length (random weights generate exactly that many).
  "$PY" bench/predict_throughput.py --model "$predict_model" --rows "$PREDICT_ROWS" --batch-size 8 --max-new-tokens 128 \
    --data "$DATA" 2>&1 | tee "$OUT/predict-$recipe.log"
}
run qwen3-vl-8b "${QWEN_PATH:-}"
run gemma-4-26b-a4b "${GEMMA_PATH:-}"

echo "== paste into the README (GPU: $(cat "$OUT/gpu.txt")) =="
for log in "$OUT"/train-qwen3-vl-8b.log "$OUT"/predict-qwen3-vl-8b.log "$OUT"/train-gemma-4-26b-a4b.log "$OUT"/predict-gemma-4-26b-a4b.log; do
  tail -n 1 "$log"
done
