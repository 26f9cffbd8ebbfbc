#!/usr/bin/env bash
# PSR benchmark: scikit-learn's Lasso beside Harmonica's matrix-free solver and
# linfa-elasticnet, on the same data, each solver in its own process (so the peak
# RSS is that solver's whole process). Appends one JSON line per run to
# target/psr-results.jsonl and prints the table (benches/psr_table.py).
#
#   benches/psr.sh                           # n = 60 100 200, T = 300 1000, alpha = 3.0 0.01
#   PSR_SIZES=60 PSR_SAMPLES=300 benches/psr.sh
#   PSR_SOLVERS="fast stage" benches/psr.sh  # ours only (seconds)
#
# Knobs: PSR_SIZES, PSR_SAMPLES, PSR_ALPHAS, PSR_SEED, PSR_SOLVERS (of fast, stage,
# linfa, sklearn); LINFA_GB / SKLEARN_GB skip a reference whose dense feature matrix
# would exceed that many GB; PSR_TIMEOUT stops a reference run after that many
# seconds; PSR_VENV is the virtual environment with numpy and scikit-learn;
# PSR_RESULTS the JSON lines file (emptied first unless PSR_APPEND=1).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${PSR_SIZES:-"60 100 200"}
SAMPLES=${PSR_SAMPLES:-"300 1000"}
ALPHAS=${PSR_ALPHAS:-"3.0 0.01"}
SOLVERS=${PSR_SOLVERS:-"fast stage linfa sklearn"}
SEED=${PSR_SEED:-1}
LINFA_GB=${LINFA_GB:-1.5}
SKLEARN_GB=${SKLEARN_GB:-3.5}
TIMEOUT=${PSR_TIMEOUT:-900}
VENV=${PSR_VENV:-target/psr-venv}
RESULTS=${PSR_RESULTS:-target/psr-results.jsonl}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet numpy scikit-learn
fi
PY="$VENV/bin/python"

# A private copy of the bench binary, so a rebuild cannot swap it mid-run.
cargo build --release --bench psr --message-format=json 2>/dev/null |
  "$PY" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "psr" and m.get("executable"):
        print(m["executable"])' | xargs -I{} cp {} "$WORK/psr"
BIN="$WORK/psr"

dense_gb() { "$PY" -c "from math import comb; print(round($2 * sum(comb($1, k) for k in (1, 2, 3)) * 8 / 1e9, 1))"; }
over() { "$PY" -c "print(1 if $1 > $2 else 0)"; }

# One solver on one problem -> one JSON object (a skip or a timeout says so).
run() {
  local solver=$1 data=$2 alpha=$3 gb=$4 out
  case $solver in
    fast | stage) "$BIN" fit "$solver" "$data" "$alpha" ;;
    linfa | sklearn)
      local limit=$LINFA_GB
      [ "$solver" = sklearn ] && limit=$SKLEARN_GB
      if [ "$(over "$gb" "$limit")" = 1 ]; then
        echo "{\"solver\":\"$solver\",\"skipped_gb\":$gb}"
        return
      fi
      if [ "$solver" = linfa ]; then
        out=$(timeout "$TIMEOUT" "$BIN" fit linfa "$data" "$alpha") || true
      else
        out=$(timeout "$TIMEOUT" "$PY" benches/psr_sklearn.py "$data" "$alpha" 1000) || true
      fi
      echo "${out:-{\"solver\":\"$solver\",\"timeout_s\":$TIMEOUT\}}" ;;
  esac
}

[ "${PSR_APPEND:-0}" = 1 ] || : >"$RESULTS"
for n in $SIZES; do
  for t in $SAMPLES; do
    data="$WORK/n${n}_t${t}.txt"
    planted=$("$BIN" gen "$n" "$t" "$SEED" "$data")
    gb=$(dense_gb "$n" "$t")
    for alpha in $ALPHAS; do
      for solver in $SOLVERS; do
        echo "{\"n\":$n,\"t\":$t,\"alpha\":$alpha,\"planted\":$planted,\"run\":$(run "$solver" "$data" "$alpha" "$gb")}" >>"$RESULTS"
        echo "done: n=$n T=$t alpha=$alpha $solver" >&2
      done
    done
  done
done
"$PY" benches/psr_table.py "$RESULTS"
