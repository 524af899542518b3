"""Pieces of the simulated world: cost, the SES account, warm-up ramps, traffic, levels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sessim.engine.warmup import DailyRamp, Managed, ses_auto_ramp
from sessim.scenario import Account as AccountSpec
from sessim.scenario import Pricing, Scenario
from sessim.world.account import Account
from sessim.world.cost import CostMeter, banded_usd
from sessim.world.mailboxes import level_of
from sessim.world.traffic import expected_volume


def test_essentials_plan_worked_example():
    """FACTS: 20M messages in a month on Essentials cost $3,000 (marginal bands)."""
    bands = Pricing().plans["essentials"].bands
    assert banded_usd(bands, 0, 20e6) == pytest.approx(3000.0)
    # the same month split over two days costs the same
    assert banded_usd(bands, 0, 7e6) + banded_usd(bands, 7e6, 13e6) == pytest.approx(3000.0)


def test_month_rolls_over_and_ips_prorate_by_day():
    """Dedicated IPs cost price / days-in-month per day; the message count resets monthly."""
    meter = CostMeter(Pricing())
    jan = meter.day(dt.date(2026, 1, 31), 0, 2, False, 0)
    assert jan == pytest.approx(2 * 24.95 / 31)
    feb = meter.day(dt.date(2026, 2, 1), 1000, 0, False, 0)
    assert feb == pytest.approx(0.10)


def test_ses_rates_use_the_last_representative_volume():
    """Bounce rate counts only the last 10,000 eligible sends, whatever the span."""
    account = Account(AccountSpec())
    account.observe(10_000, 1_000, 0, 0)  # an old bad hour: 10%
    account.end_tick(0)
    account.observe(10_000, 100, 0, 0)  # a newer clean hour: 1%
    account.end_tick(3600)
    assert account.rates()[0] == pytest.approx(0.01)
    account.observe(5_000, 500, 0, 0)  # half a window at 10%: mixes with half of 1%
    account.end_tick(7200)
    assert account.rates()[0] == pytest.approx((500 + 50) / 10_000)


def test_account_statuses_at_documented_thresholds():
    """5% bounces: Under review; 10%: Sending paused (FACTS "Enforcement")."""
    account = Account(AccountSpec())
    for hour in range(24):
        account.observe(1000, 60, 0, 0)
        account.end_tick(hour * 3600.0)
    account.end_day(86400.0)
    assert account.status == "Under review"
    for hour in range(24, 48):
        account.observe(1000, 120, 0, 0)
        account.end_tick(hour * 3600.0)
    account.end_day(2 * 86400.0)
    assert account.status == "Sending paused" and account.worst == "Sending paused"


def test_ses_auto_ramp_reaches_50000_on_day_45():
    """SES auto warm-up: 50,000/day per IP on day 45 (FACTS), then no cap."""
    steps = ses_auto_ramp(45, 250, 50_000)
    assert steps[0][1] == pytest.approx(250) and steps[-1][1] == pytest.approx(50_000)
    ramp = DailyRamp(0.0, 2, steps)
    # a day's budget of 2 x 250, of which an hour may use 6 hours' share
    assert ramp.cap("gmail", 0.0).remaining == pytest.approx(2 * 250 * 6 / 24)
    ramp.record("gmail", 0.0, 125)
    ramp.record("gmail", 3600.0, 125)
    ramp.record("gmail", 7200.0, 125)
    ramp.record("gmail", 10800.0, 125)
    assert ramp.cap("gmail", 14400.0).remaining == 0
    assert ramp.cap("gmail", 45 * 86400.0).remaining is None
    assert ramp.percent(None, 0.0) == 0 and ramp.percent(None, 45 * 86400.0) == 100


def test_managed_cap_grows_when_used_and_halves_on_throttling():
    """Managed warm-up grows a used cap by its growth factor and halves it after a
    day with throttling replies."""
    managed = Managed(0.0, 1000, 1.5, 0.25)
    managed.cap("gmail", 0.0)
    managed.record("gmail", 0.0, 1000)
    assert managed._roll("gmail", 86400.0) == pytest.approx(1500)
    managed.record("gmail", 86400.0, 1500)
    managed.throttled("gmail", 86400.0)
    assert managed._roll("gmail", 2 * 86400.0) == pytest.approx(1000)


def test_campaigns_land_on_their_weekday_and_hours():
    """A Tuesday 14:00 campaign of 3,000 over 3 hours puts 1,000 in each of those hours."""
    s = Scenario.model_validate({
        "name": "t", "start_date": "2026-06-01", "duration_days": 7,  # a Monday
        "sender": {"streams": [{"name": "m", "kind": "marketing", "campaigns": [
            {"weekday": "tue", "hour": 14, "volume": 3000}]}]},
        "options": [{"name": "s", "pool": {"type": "shared"}}]})
    v = expected_volume(s)[:, 0]
    assert np.flatnonzero(v).tolist() == [24 + 14, 24 + 15, 24 + 16]
    assert v.sum() == pytest.approx(3000)


@pytest.mark.parametrize("score,known,level", [(0.9, 1.0, "HIGH"), (0.7, 1.0, "MEDIUM"),
                                               (0.5, 1.0, "LOW"), (0.2, 1.0, "BAD"),
                                               (0.9, 0.2, "NONE")])
def test_reputation_levels(score, known, level):
    """Postmaster-style levels, NONE while the provider hardly knows the IP."""
    assert level_of(score, known) == level
