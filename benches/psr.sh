#!/usr/bin/env bash
# PSR benchmark: scikit-learn's Lasso beside Harmonica's matrix-free solver and
# linfa-elasticnet, on the same data, each solver in its own process (so the
# peak RSS is that solver's whole process). Prints a table.
#
#   benches/psr.sh                  # n = 60 100 200, T = 300 1000, alpha = 3.0 0.01
#   PSR_SIZES=60 benches/psr.sh     # one size
#
# Knobs: PSR_SIZES, PSR_SAMPLES, PSR_ALPHAS, PSR_SEED; LINFA_GB / SKLEARN_GB skip a
# solver whose dense feature matrix would exceed that many GB; PSR_VENV is where
# the virtual environment with numpy and scikit-learn goes.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${PSR_SIZES:-"60 100 200"}
SAMPLES=${PSR_SAMPLES:-"300 1000"}
ALPHAS=${PSR_ALPHAS:-"3.0 0.01"}
SEED=${PSR_SEED:-1}
LINFA_GB=${LINFA_GB:-1.5}
SKLEARN_GB=${SKLEARN_GB:-3.5}
VENV=${PSR_VENV:-target/psr-venv}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet numpy scikit-learn
fi
PY="$VENV/bin/python"

BIN=$(cargo build --release --bench psr --message-format=json 2>/dev/null |
  "$PY" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "psr" and m.get("executable"):
        print(m["executable"])')

dense_gb() { "$PY" -c "from math import comb; print($2 * sum(comb($1, k) for k in (1, 2, 3)) * 8 / 1e9)"; }
over() { "$PY" -c "print(1 if $1 > $2 else 0)"; }

RESULTS="$WORK/results.jsonl"
for n in $SIZES; do
  for t in $SAMPLES; do
    data="$WORK/n${n}_t${t}.txt"
    planted=$("$BIN" gen "$n" "$t" "$SEED" "$data")
    gb=$(dense_gb "$n" "$t")
    for alpha in $ALPHAS; do
      tag="{\"n\":$n,\"t\":$t,\"alpha\":$alpha,\"planted\":$planted"
      for solver in fast stage; do
        echo "$tag,\"run\":$("$BIN" fit "$solver" "$data" "$alpha")}" >>"$RESULTS"
      done
      if [ "$(over "$gb" "$LINFA_GB")" = 1 ]; then
        echo "$tag,\"run\":{\"solver\":\"linfa\",\"skipped_gb\":$("$PY" -c "print(round($gb, 1))")}}" >>"$RESULTS"
      else
        echo "$tag,\"run\":$("$BIN" fit linfa "$data" "$alpha")}" >>"$RESULTS"
      fi
      echo "$tag,\"run\":$("$PY" benches/psr_sklearn.py "$data" "$alpha" "$SKLEARN_GB")}" >>"$RESULTS"
      echo "done: n=$n T=$t alpha=$alpha" >&2
    done
  done
done
cp "$RESULTS" target/psr-results.jsonl
"$PY" benches/psr_table.py "$RESULTS"
