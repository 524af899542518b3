"""Write measured figures as a scenario that ``sessim run`` accepts.

The scenario compares the three ways of sending: SES shared IPs, dedicated
standard IPs with SES auto warm-up (IP count sized from the measured volume),
and dedicated managed IPs. A header comment says what was measured and what
fell back to sessim's defaults.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import ValidationError

from sessim.errors import InputError
from sessim.profile.derive import MIN_RATE_SAMPLE, ProfileFigures, StreamFigures
from sessim.scenario import Account, DedicatedStandardPool, Scenario
from sessim.yamlio import dump_yaml, validation_error_message

# Sizing rules (assumptions, stated in the header of every generated scenario).
QUOTA_HEADROOM = 1.25  # daily quota above the busiest measured day
RATE_HEADROOM = 2.0  # max send rate above the busiest measured hour's mean rate


def ip_count(mean_daily: float) -> int:
    """Dedicated IPs so that warmed IPs carry the mean day (FACTS.md: 50,000/day per IP)."""
    per_ip = DedicatedStandardPool.model_fields["auto_warmup_final_daily_per_ip"].default
    return max(1, math.ceil(mean_daily / per_ip))


def _stream_data(s: StreamFigures) -> tuple[dict[str, Any], list[str], list[str]]:
    data: dict[str, Any] = {"name": s.name, "kind": s.kind, "configuration_set": s.name}
    measured = [f"volume ({s.volume_source})"]
    defaults: list[str] = []
    if s.base_daily > 0 or not s.campaigns:
        data["daily_volume"] = round(s.base_daily, 1)
    if s.hourly_profile:
        data["hourly_profile"] = s.hourly_profile
        measured.append("hourly profile")
    if s.campaigns:
        data["campaigns"] = [{"weekday": c.weekday, "hour": c.hour, "volume": round(c.volume),
                              "spread_hours": c.spread_hours} for c in s.campaigns]
        measured.append("weekly campaigns")
    pairs = (("unknown_user_rate", s.unknown_user_rate, "hard bounces"),
             ("mailbox_full_rate", s.soft_bounce_rate, "soft bounces"),
             ("complaint_rate", s.complaint_rate, "complaints"),
             ("open_rate", s.open_rate, "opens"))
    for key, value, label in pairs:
        if value is None:
            why = (f"{label} not in the export" if s.sent >= MIN_RATE_SAMPLE else
                   f"{s.sent} messages are too few to measure it; {MIN_RATE_SAMPLE} needed")
            defaults.append(f"{key} ({why})")
        else:
            data[key] = round(value, 6)
            measured.append(key)
    if s.list_size:
        data["list_size"] = s.list_size
        measured.append("list_size (distinct recipients, estimated)")
    else:
        defaults.append("list_size")
    if s.provider_mix:
        data["provider_mix"] = s.provider_mix
        measured.append("provider_mix")
    else:
        defaults.append("provider_mix")
    return data, measured, defaults


def scenario_data(fig: ProfileFigures, name: str) -> tuple[dict[str, Any], list[str]]:
    """Scenario data (plain dicts) and the header lines explaining it."""
    last = fig.first_day + dt.timedelta(days=fig.days - 1)
    header = [f"Built by `sessim profile` from SES events {fig.first_day} .. {last}"
              f" ({fig.days} days, {sum(s.sent for s in fig.streams):,} recipients sent)."]
    streams = []
    for s in fig.streams:
        data, measured, defaults = _stream_data(s)
        streams.append(data)
        header.append(f"stream {s.name}: measured {', '.join(measured)}.")
        if defaults:
            header.append(f"stream {s.name}: defaults for {', '.join(defaults)}.")
    daily = fig.daily_total
    account_default = Account()
    quota = max(account_default.daily_quota, math.ceil(daily.max() * QUOTA_HEADROOM / 1000) * 1000)
    rate = max(account_default.max_send_rate_per_s,
               math.ceil(fig.peak_hour_volume / 3600 * RATE_HEADROOM))
    ips = ip_count(float(daily.mean()))
    header += [
        f"account sized from the busiest day and hour (x{QUOTA_HEADROOM} and x{RATE_HEADROOM}"
        " headroom; assumption); dedicated IPs: mean day / 50,000 per warmed IP (FACTS.md).",
        "Defaults for everything else: providers, pricing, tenants, engine, authentication;"
        " the weekday pattern of steady streams is reported, not modelled.",
    ]
    data = {
        "name": name,
        "description": "Generated from an SES event export by sessim profile.",
        "start_date": last + dt.timedelta(days=1),
        "duration_days": 90,
        "sender": {"streams": streams},
        "account": {"daily_quota": quota, "max_send_rate_per_s": rate},
        "options": [
            {"name": "shared", "pool": {"type": "shared"}},
            {"name": "dedicated", "pool": {"type": "dedicated-standard", "ip_count": ips,
                                           "warmup": "ses-auto"}},
            {"name": "managed", "pool": {"type": "dedicated-managed"}},
        ],
    }
    return data, header


def scenario_yaml(fig: ProfileFigures, name: str = "profiled") -> str:
    """The scenario as YAML text with its header; validated before it is returned."""
    data, header = scenario_data(fig, name)
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:  # a bug here, but say exactly what
        raise InputError(validation_error_message(exc, "generated scenario", None)) from exc
    comment = "".join(f"# {line}\n" for line in header)
    return comment + dump_yaml(data)


__all__ = ["ip_count", "scenario_data", "scenario_yaml"]
