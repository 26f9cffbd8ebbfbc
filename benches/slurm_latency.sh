#!/usr/bin/env bash
# One stage of N trivial trials through the Slurm executor: the time from
# submission to the last result, and where it goes (Slurm's scheduling and task
# launch versus Harmonica's own work). Figures are recorded in
# benches/slurm_results.md.
#
#   benches/slurm_latency.sh [N] [max_parallel] [runs]     # defaults: 100 64 3
#
# Uses the cluster at $SLURM_CONF, or starts one with scripts/slurm-up (and stops
# it after). Needs a release build (cargo build --release) and python3.
#
# Each run does two things on the same cluster:
#   1. Slurm alone: one `sbatch --array=0-(N-1)%max_parallel` of a shell task that
#      only writes its start and end time: the floor any executor pays here.
#   2. Harmonica: a 1-stage study of N trials of a shell objective
#      (`echo loss=...`), run with `--executor slurm`.
# Task start times are the creation of Slurm's per-task output files, end times
# the result files; submission is the submission file written just before sbatch.
set -euo pipefail
n=${1:-100}
par=${2:-64}
runs=${3:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/harmonica
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work=$(mktemp -d /tmp/harmonica-bench.XXXXXX)
cleanup() {
    if [ -n "${started:-}" ]; then "$root/scripts/slurm-down" "$work/cluster"; fi
    rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${SLURM_CONF:-}" ]; then
    HARMONICA_SLURM_PORT=${HARMONICA_SLURM_PORT:-6957} "$root/scripts/slurm-up" "$work/cluster" >/dev/null
    started=1
    export SLURM_CONF=$work/cluster/slurm.conf
fi
cpus=$(sinfo -h -o %c | head -n1)

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
cat > "$work/bare.sh" <<'SH'
#!/bin/sh
s=$(date +%s.%N)
echo "$s $(date +%s.%N)" > "$BARE_OUT/$SLURM_ARRAY_TASK_ID"
SH
chmod +x "$work/bare.sh"

now() { date +%s.%N; }

for run in $(seq 1 "$runs"); do
    # 1. Slurm alone.
    bare=$work/bare-$run
    mkdir -p "$bare"
    b0=$(now)
    job=$(BARE_OUT=$bare sbatch --parsable --export=ALL --job-name=bare --array=0-$((n - 1))%"$par" \
        --output=/dev/null "$work/bare.sh")
    while [ "$(find "$bare" -type f | wc -l)" -lt "$n" ]; do sleep 0.05; done
    b1=$(now)

    # 2. Harmonica.
    storage=$work/run-$run
    t0=$(now)
    "$bin" run "$work/bench.yaml" --json --storage "$storage" > "$storage.json"
    t1=$(now)
    shared=$storage/bench.slurm
    # One worker by hand: Harmonica's own cost per task, without Slurm.
    cp -r "$shared" "$work/by-hand-$run"
    w0=$(now)
    "$bin" worker --batch "$work/by-hand-$run/sub-0.json" --index 0
    w1=$(now)

    python3 - "$n" "$cpus" "$b0" "$b1" "$bare" "$t0" "$t1" "$w0" "$w1" "$shared" "$storage.json" <<'PY'
import glob, json, os, sys
n, cpus = int(sys.argv[1]), int(sys.argv[2])
b0, b1 = float(sys.argv[3]), float(sys.argv[4])
bare = sys.argv[5]
t0, t1, w0, w1 = map(float, sys.argv[6:10])
shared, out = sys.argv[10], sys.argv[11]

spans = [tuple(map(float, open(f).read().split())) for f in glob.glob(os.path.join(bare, "*"))]
bare_last = max(e for _, e in spans)

mtime = os.path.getmtime
sub, job = mtime(os.path.join(shared, "sub-0.json")), mtime(os.path.join(shared, "sub-0.job"))
jobid = open(os.path.join(shared, "sub-0.job")).read().strip()
results = {int(os.path.basename(f)[6:-5]): f for f in glob.glob(os.path.join(shared, "results", "trial-*.json"))}
tasks = json.load(open(os.path.join(shared, "sub-0.json")))["tasks"]
starts, ends, objective = [], [], []
for i, t in enumerate(tasks):
    starts.append(mtime(os.path.join(shared, "slurm", f"{jobid}_{i}.out")))
    ends.append(mtime(results[t["trial"]]))
    objective.append(json.load(open(results[t["trial"]]))["seconds"])
busy = [e - s for s, e in zip(starts, ends)]
last = max(ends)
span = last - sub
ideal = sum(busy) / cpus
r = json.load(open(out))
ms = lambda x: f"{x * 1000:.0f} ms"
print(f"N={n} trials, {cpus} CPUs")
print(f"  Slurm alone, submission -> last task done:       {bare_last - b0:6.2f} s")
print(f"  Harmonica, submission -> last result:            {span:6.2f} s")
print(f"    sbatch call                                    {ms(job - sub):>8}")
print(f"    submission -> first task starts                {ms(min(starts) - sub):>8}")
print(f"    per task, worker start to result (mean)        {ms(sum(busy) / n):>8}   (objective inside: {ms(sum(objective) / n)})")
print(f"    one worker run by hand, no Slurm               {ms(w1 - w0):>8}")
print(f"    CPU time in workers / CPUs                     {ideal:6.2f} s   ({100 * ideal / span:.0f}% of the span)")
print(f"    CPUs idle waiting for Slurm to start tasks     {span - ideal:6.2f} s")
# Slurm's latency per task: from a CPU freeing (the latest result before a
# start) to that start; and how starts bunch into scheduling passes.
ordered = sorted(starts)
gaps = sorted(s - max(e for e in ends if e <= s) for s in ordered[cpus:] if any(e <= s for e in ends))
passes = 1 + sum(1 for a, b in zip(ordered, ordered[1:]) if b - a > 0.05)
print(f"    a CPU frees -> Slurm starts the next task       median {ms(gaps[len(gaps) // 2])}, p90 {ms(gaps[int(len(gaps) * 0.9)])}")
print(f"    tasks started in {passes} bursts ({n / passes:.1f} a burst, one every {span / passes:.2f} s)")
print(f"  before submission (start, load, journal)         {ms(sub - t0):>8}")
print(f"  after the last result (notice, journal, fit, report) {ms(t1 - last):>8}   fit {r['timing']['fit_seconds']}")
print(f"  harmonica run, wall                              {t1 - t0:6.2f} s")
PY
done
