"""Formats benches/psr.sh's JSON lines as a table (one row per problem and solver)."""

import json
import sys
from collections import defaultdict


def main():
    problems = defaultdict(dict)
    for line in open(sys.argv[1]):
        rec = json.loads(line)
        problems[(rec["n"], rec["t"], rec["alpha"])][rec["run"]["solver"]] = rec["run"]
        problems[(rec["n"], rec["t"], rec["alpha"])]["planted"] = rec["planted"]["planted"]
    print("| n | T | alpha | solver | fit s | peak MB | sklearn fit / ours | nonzeros | top-5 terms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (n, t, alpha), runs in sorted(problems.items()):
        sk = runs.get("sklearn", {})
        tops = {}
        for name in ("fast", "stage", "linfa", "sklearn"):
            run = runs.get(name)
            if run is None:
                continue
            if "skipped_gb" in run:
                print(f"| {n} | {t} | {alpha} | {name} | skipped ({run['skipped_gb']} GB dense) | | | | |")
                continue
            secs = run["stage_s"] if name == "stage" else run["fit_s"]
            label = "fast (whole stage)" if name == "stage" else name
            ratio = f"{sk['fit_s'] / secs:.1f}x" if "fit_s" in sk else "-"
            tops[name] = sorted(run["top"])
            print(f"| {n} | {t} | {alpha} | {label} | {secs:.4f} | {run['maxrss_mb']:.1f} | {ratio} "
                  f"| {run['nonzeros']} | {sorted(run['top'])} |")
        same = len({json.dumps(v) for v in tops.values()}) == 1
        planted = sorted(runs["planted"])
        print(f"| {n} | {t} | {alpha} | top-5 | same in every solver run: {'yes' if same else 'NO'} "
              f"| | | planted: {planted} | |")


if __name__ == "__main__":
    main()
