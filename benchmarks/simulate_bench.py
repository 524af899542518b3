"""Simulation speed: the reference scenario, a year at 10M/day, and 10x that volume.

Usage: python benchmarks/simulate_bench.py [--repeat N]
Each figure is the best of N runs in a fresh process-free loop; peak memory is the
process's maximum resident set size after the runs.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import sessim

ROOT = Path(__file__).parents[1]


def year_at(daily_volume: float) -> sessim.Scenario:
    base = sessim.load_scenario(ROOT / "scenarios" / "ses-ip-options.yaml")
    share = daily_volume / 1.5e6  # the reference sends about 1.5M a day
    return base.with_changes({
        "duration_days": 365,
        "sender.streams.transactional.daily_volume": 1e6 * share,
        "sender.streams.marketing.campaigns": [
            {"weekday": "tue", "hour": 14, "volume": 3.5e6 * share, "spread_hours": 4}],
        "sender.streams.marketing.list_size": int(3.5e6 * share),
        "account.daily_quota": int(daily_volume * 5),
        "account.max_send_rate_per_s": daily_volume / 3000,
    })


def best_of(scenario: sessim.Scenario, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        sessim.simulate(scenario)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    reference = sessim.load_scenario(ROOT / "scenarios" / "ses-ip-options.yaml")
    t90 = best_of(reference, args.repeat)
    print(f"90-day ses-ip-options (3 options): {t90:.2f} s   (target <= 2 s)")
    t10 = best_of(year_at(10e6), max(1, args.repeat - 2))
    print(f"365 days, 3 options, 5 providers, 10M/day: {t10:.2f} s   (target <= 8 s)")
    t100 = best_of(year_at(100e6), max(1, args.repeat - 2))
    print(f"365 days at 100M/day: {t100:.2f} s; 10x volume costs {t100 / t10:.2f}x the time"
          "   (target <= 1.2x)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:.0f} MB   (target <= 1024 MB)")


if __name__ == "__main__":
    main()
