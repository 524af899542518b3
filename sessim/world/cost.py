"""What a day of sending costs (FACTS.md "Prices"; every price a scenario parameter).

Message charges are marginal bands over the calendar month's running count;
fees and dedicated IPs are prorated by day over the calendar month (FACTS.md:
dedicated IPs are prorated by day when released).
"""

from __future__ import annotations

import calendar
import datetime as dt

from sessim.scenario import Band, Pricing


def banded_usd(bands: list[Band], month_before: float, count: float) -> float:
    """Charge for ``count`` messages after ``month_before`` already this month."""
    usd, low = 0.0, 0.0
    for band in bands:
        high = band.up_to_per_month if band.up_to_per_month is not None else float("inf")
        in_band = max(0.0, min(month_before + count, high) - max(month_before, low))
        usd += in_band * band.usd_per_1000 / 1000.0
        low = high
    return usd


class CostMeter:
    """Accrues one option's cost day by day."""

    def __init__(self, pricing: Pricing) -> None:
        self.pricing = pricing
        self.plan = pricing.plans[pricing.plan]
        self.month: tuple[int, int] | None = None
        self.sent_month = 0.0
        self.managed_month = 0.0

    def day(self, date: dt.date, sent: float, dedicated_ips: int, managed: bool,
            managed_sent: float) -> float:
        if (date.year, date.month) != self.month:
            self.month, self.sent_month, self.managed_month = (date.year, date.month), 0.0, 0.0
        days_in_month = calendar.monthrange(date.year, date.month)[1]
        p = self.pricing
        usd = banded_usd(self.plan.bands, self.sent_month, sent)
        usd += self.plan.usd_per_month / days_in_month
        usd += dedicated_ips * p.dedicated_ip_usd_per_month / days_in_month
        if managed:
            usd += p.managed_usd_per_month / days_in_month
            usd += banded_usd(p.managed_bands, self.managed_month, managed_sent)
        self.sent_month += sent
        self.managed_month += managed_sent
        return usd
