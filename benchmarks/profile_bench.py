"""Benchmark `sessim profile`: records profiled per second on one core (prints figures).

Usage: python benchmarks/profile_bench.py [--records 200000] [--dir /tmp/sessim-bench]

Writes a synthetic export of realistic SES records (the header blocks of AWS's
examples included, about 1.1 KB each) in three forms, then times reading,
parsing and counting them (:func:`sessim.profile.scan.scan`), and the whole
pipeline to scenario and report. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sessim.profile import readers
from sessim.profile.pipeline import build_profile
from sessim.profile.scan import scan
from sessim.profile.synth import KnownTraffic, synth_records


def write_export(folder: Path, records: int) -> dict[str, Path]:
    days = max(1, round(records / 2.4 / 1500))  # ~2.4 records per message
    truth = KnownTraffic(days=days, steady_daily=1000, campaign_volume=3500,
                         campaign_list_size=5000, full_headers=True)
    lines = [json.dumps(r, separators=(",", ":")) for r in synth_records(truth, seed=1)]
    paths = {"jsonl": folder / "export.jsonl", "jsonl.gz": folder / "export.jsonl.gz",
             "array": folder / "export.json"}
    paths["jsonl"].write_text("\n".join(lines) + "\n")
    paths["jsonl.gz"].write_bytes(gzip.compress(paths["jsonl"].read_bytes(), 6))
    paths["array"].write_text("[\n" + ",\n".join(lines) + "\n]\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="sessim-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    paths = write_export(folder, args.records)
    print(f"wrote export in {time.perf_counter() - t0:.1f} s to {folder}"
          f" (json decoder: {readers.DECODER_NAME})")
    for form, path in paths.items():
        size = path.stat().st_size
        best = best_cpu = float("inf")
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            profile = scan([path])
            best = min(best, time.perf_counter() - t)
            best_cpu = min(best_cpu, time.process_time() - c)
        print(f"{form:>9}: {profile.records:,} records, {size / 1e6:.0f} MB:"
              f" {profile.records / best:,.0f} records/s wall,"
              f" {profile.records / best_cpu:,.0f} records/s of CPU time,"
              f" {size / 1e6 / best:.0f} MB/s (best of 3, scan only)")
    t = time.perf_counter()
    result = build_profile([paths["jsonl"]])
    wall = time.perf_counter() - t
    print(f"full pipeline (scan, derive, scenario, report) on jsonl: {wall:.2f} s,"
          f" {result.profile.records / wall:,.0f} records/s")
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through exec.
    code = ("import sys; from sessim.profile.scan import scan; scan(sys.argv[1:]);"
            " print(next(int(x.split()[1]) // 1024 for x in open('/proc/self/status')"
            " if x.startswith('VmHWM')))")
    for form in ("jsonl", "array"):
        out = subprocess.run([sys.executable, "-c", code, str(paths[form])], check=True,
                             capture_output=True, text=True).stdout.strip()
        print(f"peak RSS of a process scanning the {form} file alone: {out} MB")


if __name__ == "__main__":
    main()
