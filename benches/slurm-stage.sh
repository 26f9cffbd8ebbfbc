#!/usr/bin/env bash
# Measures one stage of N trivial trials through the Slurm executor: the time
# from submission (the submission file written just before sbatch) to the last
# result file, and where it goes. Needs a running cluster (SLURM_CONF set, e.g.
# `eval "$(scripts/slurm-up /tmp/s)"`) and a release build.
#
# Usage: benches/slurm-stage.sh [N] [max_parallel]
set -euo pipefail
n=${1:-100}
par=${2:-64}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/harmonica
work=$(mktemp -d /tmp/harmonica-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/objective.sh" <<'SH'
#!/bin/sh
echo "loss=$(( $1 + $2 ))"
SH
chmod +x "$work/objective.sh"
cat > "$work/bench.yaml" <<YAML
study: bench
seed: 1
space:
  a: {type: int, low: 0, high: 15}
  b: {type: int, low: 0, high: 15}
objective: {type: command, argv: ["./objective.sh", "{a}", "{b}"], metric: loss}
optimizer: {type: harmonica, stages: 1, samples: $n, degree: 1, terms: 2, alpha: 0.05, base: none}
execution:
  executor: slurm
  slurm: {max_parallel: $par, poll_interval: 1}
YAML
t0=$(date +%s.%N)
"$bin" run "$work/bench.yaml" --json --storage "$work/s" > "$work/out.json"
t1=$(date +%s.%N)
shared=$work/s/bench.slurm
# One worker run by hand: what our own per-task cost is, without Slurm.
cp -r "$shared" "$work/by-hand"
w0=$(date +%s.%N)
SLURM_ARRAY_TASK_ID=0 "$bin" worker --batch "$work/by-hand/sub-0.json" --index 0
w1=$(date +%s.%N)
python3 - "$shared" "$t0" "$t1" "$w0" "$w1" "$work/out.json" <<'PY'
import json, os, sys, glob
shared, t0, t1, w0, w1, out = sys.argv[1], *map(float, sys.argv[2:6]), sys.argv[6]
sub = os.path.getmtime(os.path.join(shared, "sub-0.json"))
job = os.path.getmtime(os.path.join(shared, "sub-0.job"))
files = glob.glob(os.path.join(shared, "results", "*.json"))
times = sorted(os.path.getmtime(f) for f in files)
evals = [json.load(open(f))["seconds"] for f in files]
r = json.load(open(out))
print(f"trials: {len(files)}  wall (harmonica run): {t1 - t0:.2f} s")
print(f"submission -> last result: {times[-1] - sub:.2f} s")
print(f"  sbatch call: {job - sub:.3f} s")
print(f"  submission -> first result: {times[0] - sub:.2f} s")
print(f"  objective time inside the workers: total {sum(evals):.2f} s, mean {sum(evals)/len(evals)*1000:.1f} ms")
print(f"  one `harmonica worker` run by hand (load study, evaluate, write): {(w1 - w0)*1000:.0f} ms")
print(f"before submission + after the last result (ours: start, journal, fit, report): {(sub - t0) + (t1 - times[-1]):.2f} s")
print(f"fit: {r['timing']['fit_seconds']}")
PY
