"""Benchmark the batch executors: N replications of the 90-day reference scenario.

Runs the same N runs serially, on a 2-process pool and on Dask with 2 workers
(a LocalCluster, whose start-up is included), checks the outputs are identical,
and prints runs per second and speed-ups. Not a test.

    python benchmarks/batch_bench.py            # N = 200
    python benchmarks/batch_bench.py --runs 12 --days 30
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sessim.batch import load_sweep, run_batch

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "ses-ip-options.yaml"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per executor (200)")
    parser.add_argument("--days", type=int, help="days per run (default: the scenario's 90)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", default="serial,processes,dask")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sweep = Path(tmp) / "bench.yaml"
        days = f"days: {args.days}\n" if args.days else ""
        sweep.write_text(f"name: bench\nscenarios: [{REFERENCE}]\n"
                         f"replications: {args.runs}\nseed: 1\n{days}")
        loaded = load_sweep(sweep)
        timings, outputs = {}, {}
        for executor in args.executors.split(","):
            out = Path(tmp) / executor
            started = time.perf_counter()
            report = run_batch(loaded, out, executor, args.workers, plots=False)
            timings[executor] = time.perf_counter() - started
            assert report.ok, report.failed
            outputs[executor] = tree(out / "runs")
            print(f"{executor:>10}: {args.runs} runs in {timings[executor]:7.1f} s"
                  f" = {args.runs / timings[executor]:.3f} runs/s", flush=True)
        base = timings.get("serial")
        for executor, seconds in timings.items():
            if base and executor != "serial":
                print(f"speed-up {executor} ({args.workers} workers) vs serial:"
                      f" {base / seconds:.2f}x")
        same = len({hash(tuple(sorted(o.items()))) for o in outputs.values()}) == 1
        print(f"outputs identical across executors: {same}")


if __name__ == "__main__":
    main()
