"""The profile report: one tidy table (stream, metric, value), as CSV and as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sessim.profile.aggregate import Profile
from sessim.profile.derive import ProfileFigures, StreamFigures

ALL = "all"
COLUMNS = ("stream", "metric", "value")


def _stream_rows(s: StreamFigures) -> list[tuple[str, str, Any]]:
    rows: list[tuple[str, str, Any]] = [
        ("kind", s.kind), ("volume_source", s.volume_source), ("sent", s.sent),
        ("delivered", s.delivered), ("mean_daily", round(float(s.daily.mean()), 1)),
        ("max_daily", int(s.daily.max())), ("base_daily", round(s.base_daily, 1)),
        ("hard_bounce_rate", s.hard_bounce_rate), ("unknown_user_rate", s.unknown_user_rate),
        ("soft_bounce_rate", s.soft_bounce_rate), ("complaint_rate", s.complaint_rate),
        ("open_rate", s.open_rate), ("list_size", s.list_size),
        ("delay_p50_ms", s.delay_p50_ms), ("delay_p90_ms", s.delay_p90_ms),
        ("delay_p99_ms", s.delay_p99_ms), ("delay_mean_ms", s.delay_mean_ms),
        ("delayed_recipients", s.delayed_recipients), ("outgoing_ip_count", len(s.outgoing_ips)),
        ("pool_guess", s.pool_guess), ("one_off_burst_days", s.one_off_bursts),
    ]
    rows += [(f"events.{k}", v) for k, v in sorted(s.events.items())]
    rows += [(f"provider_share.{p}", v) for p, v in (s.provider_mix or {}).items()]
    rows += [(f"weekday_mean.{d}", round(v, 1)) for d, v in s.weekday_mean.items()]
    rows += [(f"hour_share.{h:02d}", v) for h, v in enumerate(s.hourly_profile or [])]
    for i, c in enumerate(s.campaigns):
        rows.append((f"campaign.{i}", f"{c.weekday} {c.hour:02d}:00 x{c.spread_hours}h"
                                      f" {c.volume:.0f} ({c.occurrences} seen)"))
    rows += [(f"outgoing_ip.{ip}", n) for ip, n in list(s.outgoing_ips.items())[:20]]
    return [(s.name, m, v) for m, v in rows]


def report_rows(profile: Profile, fig: ProfileFigures) -> list[tuple[str, str, Any]]:
    """Every reported figure as (stream, metric, value); stream ``all`` for the export."""
    rows: list[tuple[str, str, Any]] = [
        (ALL, "files", profile.files), (ALL, "records_used", profile.records),
        (ALL, "records_unusable", profile.bad), (ALL, "first_day", fig.first_day.isoformat()),
        (ALL, "days", fig.days), (ALL, "mean_daily", round(float(fig.daily_total.mean()), 1)),
        (ALL, "max_daily", int(fig.daily_total.max())),
        (ALL, "peak_hour", int(fig.peak_hour_volume)),
    ]
    rows += [(ALL, f"unusable.{reason}", n) for reason, n in profile.bad_reasons.most_common()]
    rows += [(ALL, f"unusable_example.{i}", str(b)) for i, b in enumerate(profile.bad_examples)]
    for s in fig.streams:
        rows += _stream_rows(s)
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_csv(rows: list[tuple[str, str, Any]], path: str | Path) -> None:
    """Write the report table as CSV (atomically: a temporary file, then a rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows((s, m, _fmt(v)) for s, m, v in rows)
    tmp.replace(path)


def report_text(rows: list[tuple[str, str, Any]]) -> str:
    """The report for a terminal: one block per stream, figures that were measured."""
    out = io.StringIO()
    current = None
    for stream, metric, value in rows:
        if value is None or metric.startswith(("hour_share.", "outgoing_ip.")):
            continue
        if stream != current:
            out.write(f"{'export' if stream == ALL else 'stream ' + stream}\n")
            current = stream
        out.write(f"  {metric:<28} {_fmt(value)}\n")
    return out.getvalue().rstrip("\n")
