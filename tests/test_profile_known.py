"""A generated export of known traffic: the profile recovers what it was drawn from.

30 days, a steady stream and a weekly campaign, written in four file forms
(JSON lines, gzip JSON lines of SNS-wrapped notifications, a pretty JSON array,
gzip Firehose concatenation). Tolerances are stated per figure; counts are
drawn with a fixed seed, so the test is deterministic.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessim.cli import main
from sessim.profile.derive import ProfileFigures
from sessim.profile.pipeline import ProfileResult, build_profile
from sessim.profile.records import provider_of
from sessim.profile.synth import FBL_PROVIDERS, KnownTraffic, sns_wrap, synth_records
from sessim.scenario import load_scenario

TRUTH = KnownTraffic(days=30, steady_daily=200, campaign_volume=1500, campaign_list_size=2500)


RECORDS = list(synth_records(TRUTH, seed=11))


def _realised_complaint_rate(stream: str) -> float:
    """Complaints over deliveries to feedback-loop providers, counted in the records."""
    def fbl(r: dict) -> bool:  # provider_of is checked on its own in test_profile_readers
        return (r["mail"]["tags"]["ses:configuration-set"][0] == stream
                and provider_of(r["mail"]["destination"][0]) in FBL_PROVIDERS)
    complaints = sum(1 for r in RECORDS if r["eventType"] == "Complaint" and fbl(r))
    return complaints / sum(1 for r in RECORDS if r["eventType"] == "Delivery" and fbl(r))


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    records = RECORDS
    parts = [records[i::4] for i in range(4)]
    (folder / "a.jsonl").write_text("\n".join(json.dumps(r) for r in parts[0]))
    (folder / "b.json.gz").write_bytes(gzip.compress(
        "\n".join(json.dumps(sns_wrap(r)) for r in parts[1]).encode()))
    (folder / "c.json").write_text(json.dumps(parts[2], indent=1))
    (folder / "d").write_bytes(gzip.compress("".join(json.dumps(r) for r in parts[3]).encode()))
    return folder


@pytest.fixture(scope="module")
def result(export: Path) -> ProfileResult:
    return build_profile([export], name="known")


def _stream(fig: ProfileFigures, name: str):
    return next(s for s in fig.streams if s.name == name)


def test_volume_and_shape(result: ProfileResult) -> None:
    """Daily volume exact; the campaign is found on its weekday, hour and spread."""
    fig = result.figures
    assert fig.days == TRUTH.days and result.profile.bad == 0
    steady = _stream(fig, "transactional")
    assert steady.sent == TRUTH.steady_daily * TRUTH.days
    assert steady.base_daily == pytest.approx(TRUTH.steady_daily)
    assert not steady.campaigns and steady.kind == "transactional"
    # 6,000 draws over 24 hours: each hour's share within 0.01 of the truth.
    assert steady.hourly_profile == pytest.approx(TRUTH.hourly_profile, abs=0.01)
    marketing = _stream(fig, "marketing")
    [campaign] = marketing.campaigns
    assert (campaign.weekday, campaign.hour, campaign.spread_hours) == ("tue", 14, 3)
    assert campaign.volume == pytest.approx(TRUTH.campaign_volume)
    assert campaign.occurrences == 5  # Tuesdays in 2026-03-02 .. 2026-03-31


def test_rates_mix_and_delays(result: ProfileResult) -> None:
    """Rates within ~3 binomial standard errors; mix within 0.02; median delay within 10%."""
    for s in result.figures.streams:
        n = s.sent
        assert s.hard_bounce_rate == pytest.approx(TRUTH.hard_bounce_rate,
                                                   abs=3 * (TRUTH.hard_bounce_rate / n) ** 0.5)
        assert s.soft_bounce_rate == pytest.approx(TRUTH.soft_bounce_rate,
                                                   abs=3 * (TRUTH.soft_bounce_rate / n) ** 0.5)
        assert s.open_rate == pytest.approx(TRUTH.open_rate, abs=0.02)
        # Complaints are rare (a few dozen): exact against what the records hold,
        # and within 5 standard errors of the rate they were drawn with.
        assert s.complaint_rate == pytest.approx(_realised_complaint_rate(s.name))
        assert s.complaint_rate == pytest.approx(
            TRUTH.complaint_rate, abs=5 * (TRUTH.complaint_rate / (0.45 * s.delivered)) ** 0.5)
        assert s.provider_mix == pytest.approx(TRUTH.provider_mix, abs=0.02)
        assert s.delay_p50_ms == pytest.approx(TRUTH.delay_median_ms, rel=0.1)
        assert sorted(s.outgoing_ips) == sorted(TRUTH.outgoing_ips)
        assert s.pool_guess == "dedicated"
    marketing = _stream(result.figures, "marketing")
    assert marketing.list_size == pytest.approx(TRUTH.campaign_list_size, rel=0.02)


def test_scenario_carries_the_measured_figures(result: ProfileResult, tmp_path: Path) -> None:
    """The YAML loads with load_scenario and holds the measured streams and three options."""
    result.write(tmp_path / "known.yaml", tmp_path / "known.profile.csv")
    text = (tmp_path / "known.yaml").read_text()
    assert text.startswith("# Built by `sessim profile`") and "measured" in text
    sc = load_scenario(tmp_path / "known.yaml")
    streams = {s.name: s for s in sc.sender.streams}
    assert streams["transactional"].daily_volume == pytest.approx(TRUTH.steady_daily)
    assert streams["marketing"].campaigns[0].weekday == "tue"
    assert streams["marketing"].kind == "marketing"
    assert [o.name for o in sc.options] == ["shared", "dedicated", "managed"]
    assert sc.options[1].pool.warmup == "ses-auto" and sc.options[1].pool.ip_count >= 1


def test_cli_writes_yaml_and_csv_report(export: Path, tmp_path: Path) -> None:
    """`sessim profile` prints the report and writes <out>.profile.csv next to the YAML."""
    out = tmp_path / "mine.yaml"
    res = CliRunner().invoke(main, ["profile", str(export), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "stream marketing" in res.output and "hard_bounce_rate" in res.output
    with open(tmp_path / "mine.profile.csv", newline="") as fh:
        rows = {(r["stream"], r["metric"]): r["value"] for r in csv.DictReader(fh)}
    assert rows[("transactional", "sent")] == str(TRUTH.steady_daily * TRUTH.days)
    assert rows[("all", "days")] == str(TRUTH.days)


def test_cli_bad_input_exit_codes(tmp_path: Path) -> None:
    """No usable records: exit 2 with the first bad lines shown; some bad lines: a warning."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nope\n")
    res = CliRunner().invoke(main, ["profile", str(bad), "--out", str(tmp_path / "x.yaml")])
    assert res.exit_code == 2
    assert "no usable SES event records" in res.output and "bad.jsonl: line 1" in res.output
    assert not (tmp_path / "x.yaml").exists()
    mixed = tmp_path / "mixed.jsonl"
    record = next(synth_records(TRUTH))
    mixed.write_text(json.dumps(record) + "\n{broken\n")
    res = CliRunner().invoke(main, ["profile", str(mixed), "--out", str(tmp_path / "y.yaml"),
                                    "--quiet"])
    assert res.exit_code == 0 and "1 unusable record" in res.output
    assert "mixed.jsonl: line 2" in res.output


def test_generated_scenario_runs(result: ProfileResult, tmp_path: Path) -> None:
    """`sessim run` accepts the generated scenario (one simulated day, to stay fast)."""
    result.write(tmp_path / "known.yaml", tmp_path / "known.profile.csv")
    res = CliRunner().invoke(main, ["run", str(tmp_path / "known.yaml"), "--days", "1",
                                    "--quiet", "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "run").is_dir()
