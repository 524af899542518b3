"""Notebook helpers: replications with bands, and the plain-language recommendation."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import sessim

SCENARIO = Path(__file__).parents[1] / "scenarios" / "cold-ip-blast.yaml"


@pytest.fixture(scope="module")
def runs():
    scenario = sessim.load_scenario(SCENARIO).with_changes(
        {"options": [{"name": "shared", "pool": {"type": "shared"}},
                     {"name": "cold", "pool": {"type": "dedicated-standard", "ip_count": 1,
                                               "warmup": "none"}}]})
    return sessim.replicate(scenario, seeds=[1, 2, 3], days=3)


def summary(**columns) -> pd.DataFrame:
    base = {"option": ["shared", "dedicated", "managed"],
            "pool": ["shared", "dedicated-standard", "dedicated-managed"],
            "inbox_rate": [0.990, 0.992, 0.980], "spam_rate": [0.002, 0.001, 0.004],
            "deferral_rate": [0.004, 0.004, 0.01], "overflow_share": [0.0, 0.0, 0.0],
            "days_to_warm": [0.0, 20.0, 3.0],
            "worst_account_status": ["Healthy", "Healthy", "Healthy"],
            "monthly_cost_usd": [1000.0, 1100.0, 1500.0]}
    return pd.DataFrame({**base, **columns})


def test_replicate_runs_each_seed_and_keeps_them_apart(runs):
    """replicate gives one Result per seed, each run with its own seed and days."""
    assert list(runs) == [1, 2, 3]
    assert [r.manifest["seed"] for r in runs.values()] == [1, 2, 3]
    assert all(r.daily.day.max() == 2 for r in runs.values())
    first, second = (runs[s].totals().sent.to_numpy() for s in (1, 2))
    assert (first != second).any(), "different seeds should draw different traffic"


def test_replicate_counts_from_the_scenario_seed():
    """An integer number of seeds starts at the scenario's own seed."""
    scenario = sessim.load_scenario(SCENARIO).with_changes(
        {"options": [{"name": "shared", "pool": {"type": "shared"}}]})
    assert list(sessim.replicate(scenario, seeds=2, days=1)) == [5, 6]
    with pytest.raises(ValueError, match="at least 1"):
        sessim.replicate(scenario, seeds=0)


def test_summary_bands_bracket_the_mean(runs):
    """Each option x metric row has low <= mean <= high and counts the seeds."""
    bands = sessim.summary_bands(runs, metrics=["inbox_rate", "deferral_rate"])
    assert len(bands) == 2 * 2
    assert (bands.low <= bands["mean"] + 1e-12).all()
    assert (bands["mean"] <= bands.high + 1e-12).all()
    assert (bands.runs == 3).all()
    cold = bands[(bands.option == "cold") & (bands.metric == "deferral_rate")].iloc[0]
    shared = bands[(bands.option == "shared") & (bands.metric == "deferral_rate")].iloc[0]
    assert cold["mean"] > shared["mean"], (cold["mean"], shared["mean"])
    with pytest.raises(ValueError, match="unknown metric"):
        sessim.summary_bands(runs, metrics=["nope"])


def test_summary_bands_leave_out_runs_that_never_warmed(runs):
    """days_to_warm is NaN when a run ended before warm: n counts only the warm runs."""
    bands = sessim.summary_bands(runs, metrics=["days_to_warm"])
    shared = bands[bands.option == "shared"].iloc[0]
    assert shared.n == 3 and shared["mean"] == 0


def test_daily_bands_give_a_ratio_per_option_and_day(runs):
    """daily_bands(deferred, attempts) is a share in [0, 1] per option and day."""
    frame = sessim.daily_bands(runs, "deferred", "attempts")
    assert list(frame.columns) == ["option", "day", "mean", "low", "high"]
    assert len(frame) == 2 * 3
    assert frame[["mean", "low", "high"]].stack().between(0, 1).all()
    fig = sessim.plot_daily_bands(frame, "Deferred share", "deferred / attempts")
    assert fig.axes[0].get_title() == "Deferred share"
    with pytest.raises(ValueError, match="unknown column"):
        sessim.daily_bands(runs, "nope")


def test_recommend_takes_the_cheapest_of_the_options_as_good_as_the_best():
    """Within the inbox tolerance the cheaper option wins, and the sentence says why."""
    text = sessim.recommend(summary())
    assert text.startswith("Choose 'shared'")
    assert ("'dedicated' inboxed 0.20 percentage points more, within the 0.50 percentage"
            " points tolerance, at $100 a month more.") in text


def test_recommend_follows_the_numbers_when_the_gap_is_large():
    """When the better inbox rate is beyond the tolerance, the dearer option wins."""
    text = sessim.recommend(summary(inbox_rate=[0.95, 0.99, 0.97]))
    assert text.startswith("Choose 'dedicated'")
    assert "'managed', inboxed 2.00 percentage points less" in text


def test_recommend_rules_out_paused_accounts():
    """An option that put the account under review is not chosen, whatever its inbox."""
    text = sessim.recommend(summary(
        inbox_rate=[0.95, 0.99, 0.97],
        worst_account_status=["Healthy", "Under review", "Healthy"]))
    assert text.startswith("Choose 'managed'")
    assert "'dedicated' inboxed 2.00 percentage points more but its account reached" in text
    assert "Ruled out, the SES account reached review or pause: 'dedicated'" in text


def test_recommend_prefers_few_deferrals_among_equals_but_never_worse_inbox():
    """Heavy deferrals break a tie; they never win over a clearly better inbox rate."""
    tie = sessim.recommend(summary(deferral_rate=[0.3, 0.004, 0.01]))
    assert tie.startswith("Choose 'dedicated'")
    assert "'dedicated' inboxed" not in tie
    gap = sessim.recommend(summary(inbox_rate=[0.7, 0.7, 0.2],
                                   deferral_rate=[0.7, 0.7, 0.001]))
    assert gap.startswith("Choose 'shared'")
    assert "Caution: it deferred over 5.00% of attempts" in gap


def test_recommend_notes_a_pool_that_was_still_warming():
    """A dedicated pool not warm by the end of the run is flagged, with its overflow."""
    text = sessim.recommend(summary(days_to_warm=[0.0, math.nan, 3.0],
                                    overflow_share=[0.0, 0.97, 0.0]))
    assert "'dedicated' was not warm by the end of the run (97.00%" in text
    with pytest.raises(ValueError, match="lacks"):
        sessim.recommend(summary().drop(columns="spam_rate"))


def test_recommend_says_when_two_options_inbox_the_same():
    """A rival with the same inbox rate is named as such, with the cost difference."""
    text = sessim.recommend(summary(inbox_rate=[0.99, 0.99, 0.95]))
    assert "'dedicated' inboxed the same (within 0.01 percentage points) at $100 a month more" \
        in text


def test_mean_summary_averages_seeds_and_keeps_the_worst_status(runs):
    """mean_summary has one row per option, the seed mean, and the worst account status."""
    mean = sessim.mean_summary(runs)
    assert list(mean.option) == ["shared", "cold"]
    assert list(mean.columns) == list(runs[1].summary.columns)
    expected = sum(r.summary.inbox_rate[0] for r in runs.values()) / 3
    assert mean.inbox_rate[0] == pytest.approx(expected)
    statuses = {s: r.summary.assign(worst_account_status="Healthy") for s, r in runs.items()}
    statuses[2].loc[1, "worst_account_status"] = "Under review"
    fake = {s: type("R", (), {"summary": frame})() for s, frame in statuses.items()}
    assert list(sessim.mean_summary(fake).worst_account_status) == ["Healthy", "Under review"]


def test_recommend_says_to_clean_the_list_when_every_option_hurts_the_account():
    """When no option keeps the account healthy, the advice is about the list, not IPs."""
    text = sessim.recommend(summary(
        worst_account_status=["Under review", "Sending paused", "Under review"],
        peak_bounce_rate=[0.06, 0.07, 0.05], peak_complaint_rate=[0.002, 0.001, 0.001]))
    assert text.startswith("No option kept the SES account healthy (worst status: Sending"
                           " paused); peak bounce rate 7.00% (SES reviews at 5%)")
    assert "clean the list before choosing IPs" in text
    assert "Of these, the least bad is 'shared'" in text
