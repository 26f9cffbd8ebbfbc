"""Formats benches/psr.sh's JSON lines as a table, one row per problem and solver.

Usage: psr_table.py RESULTS.jsonl [MORE.jsonl ...] (a later line for the same
problem and solver replaces an earlier one).
"""

import json
import sys
from collections import defaultdict

LABELS = {"fast": "fast (fit)", "stage": "fast (whole stage)", "linfa": "linfa", "sklearn": "sklearn"}


def load(paths):
    problems = defaultdict(dict)
    for path in paths:
        for line in open(path):
            rec = json.loads(line)
            key = (rec["n"], rec["t"], rec["alpha"])
            problems[key][rec["run"]["solver"]] = rec["run"]
            problems[key]["planted"] = sorted(rec["planted"]["planted"])
    return problems


def row(n, t, alpha, name, run, sklearn):
    head = f"| {n} | {t} | {alpha} | {LABELS[name]} |"
    if "skipped_gb" in run:
        return f"{head} skipped ({run['skipped_gb']} GB dense) | | | | | | |"
    if "timeout_s" in run:
        return f"{head} stopped after {run['timeout_s']} s | | | | | | |"
    wall = run["stage_s"] if name == "stage" else run["fit_s"]
    cpu = run.get("stage_cpu_s" if name == "stage" else "fit_cpu_s")
    ratio = f"{sklearn['fit_s'] / wall:.0f}x wall" if "fit_s" in sklearn else "-"
    if cpu and sklearn.get("fit_cpu_s"):
        # CPU time is what a loaded machine distorts least (ours counts both threads).
        ratio = f"{sklearn['fit_cpu_s'] / cpu:.0f}x CPU, " + ratio
    cpu_text = f"{cpu:.4f}" if cpu is not None else "-"
    converged = run["n_iter"] < 1000 if name == "sklearn" else run.get("converged", True)
    note = f" ({run['n_iter']} sweeps)" if name == "sklearn" else ""
    note += "" if converged else ", NOT converged"
    objective = f"{run['objective']:.4f}" if "objective" in run else "-"
    return (f"{head} {wall:.4f} | {cpu_text} | {run['maxrss_mb']:.1f} | {ratio} | {run['nonzeros']}{note} "
            f"| {objective} | {sorted(run['top'])} |")


def main():
    problems = load(sys.argv[1:])
    print("| n | T | alpha | solver | wall s | CPU s | peak RSS MB | sklearn fit / this | nonzeros | objective | top-5 terms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (n, t, alpha), runs in sorted(problems.items()):
        sklearn = runs.get("sklearn", {})
        tops = []
        for name in LABELS:
            if name in runs:
                print(row(n, t, alpha, name, runs[name], sklearn))
                if "top" in runs[name]:
                    tops.append(json.dumps(sorted(runs[name]["top"])))
        same = "yes" if len(set(tops)) == 1 else "NO"
        print(f"| {n} | {t} | {alpha} | top-5 same in all {len(tops)} runs: **{same}** | | | | | "
              f"| planted | {runs['planted']} |")


if __name__ == "__main__":
    main()
