"""The command line: outputs of a run, determinism, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from sessim.cli import main

SCENARIO = str(Path(__file__).parents[1] / "scenarios" / "ses-ip-options.yaml")
FILES = {"scenario.yaml", "manifest.json", "daily.csv", "account_daily.csv", "summary.csv",
         "reputation.png", "inbox_spam.png", "deferrals.png", "warmup.png",
         "cumulative_cost.png", "comparison.png"}


def run(tmp_path: Path, name: str, *args: str):
    out = tmp_path / name
    result = CliRunner().invoke(main, ["run", SCENARIO, "--days", "6", "--out", str(out),
                                       *args])
    return result, out


def test_run_writes_every_output_and_prints_comparison(tmp_path):
    """`sessim run` writes the CSVs, plots and manifest and prints the options table."""
    result, out = run(tmp_path, "a")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES
    assert "dedicated-standard" in result.output and "USD/month" in result.output
    daily = pd.read_csv(out / "daily.csv")
    assert len(daily) == 6 * 3 * 5  # day x option x provider
    assert {"reputation_level", "warmup_pct", "cost_usd", "bounced_soft"} <= set(daily.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and len(manifest["scenario_sha256"]) == 64


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    """Same scenario and seed give byte-identical CSVs; another seed differs."""
    _, a = run(tmp_path, "a", "--quiet")
    _, b = run(tmp_path, "b", "--quiet")
    _, c = run(tmp_path, "c", "--quiet", "--seed", "8")
    for name in ("daily.csv", "account_daily.csv", "summary.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "daily.csv").read_bytes() != (c / "daily.csv").read_bytes()


def test_bad_scenario_exits_2_and_writes_nothing(tmp_path):
    """A scenario that does not validate: exit code 2, a message, no output folder."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsender: {streams: []}\noptions: []\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "sender.streams" in result.output
    assert not out.exists()


def test_validate_and_schema():
    """`validate` says ok per file; `schema` prints the JSON Schema."""
    runner = CliRunner()
    assert runner.invoke(main, ["validate", SCENARIO]).output.strip().endswith("ok")
    schema = json.loads(runner.invoke(main, ["schema"]).output)
    assert "sender" in schema["properties"]


def test_reply_classifies_as_json():
    """`sessim reply` prints the SES classification and the throttle flag."""
    result = CliRunner().invoke(main, ["reply", "--provider", "gmail",
                                       "421-4.7.28 unusual rate of unsolicited mail"])
    data = json.loads(result.output)
    assert data["outcome"] == "DeliveryDelay" and data["throttle"] is True
    assert CliRunner().invoke(main, ["reply", "hello"]).exit_code == 2
