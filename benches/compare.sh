#!/usr/bin/env bash
# Runs the d=100, batch-200 SGD benchmark in Rust (benches/sgd.rs) and in NumPy
# (benches/sgd_numpy.py) and prints steps per second for both and their ratio.
# Creates .venv with NumPy on first use. Both run on one thread: BLAS threads are
# pinned to 1 so the comparison is per core (matrixmultiply is single-threaded here).
#
# Usage: benches/compare.sh [STEPS]
# HARMONICA_BENCH_FEATURES=openblas benches/compare.sh  builds ours with cargo
# features (here: ndarray on the system OpenBLAS instead of matrixmultiply).
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-5000}"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c 'import numpy' 2>/dev/null || .venv/bin/pip install --quiet numpy
export OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_NUM_THREADS=1
features=()
if [ -n "${HARMONICA_BENCH_FEATURES:-}" ]; then features=(--features "$HARMONICA_BENCH_FEATURES"); fi
ours=$(cargo bench --quiet --bench sgd ${features[@]+"${features[@]}"} -- "$steps" | tee /dev/stderr | awk '/steps\/s/ {print $2; exit}')
theirs=$(.venv/bin/python benches/sgd_numpy.py "$steps" | tee /dev/stderr | awk '/steps\/s/ {print $2; exit}')
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "ours %.1f steps/s, numpy %.1f steps/s, ratio ours/numpy %.2f\n", a, b, a / b }'
