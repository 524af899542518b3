"""Scenario files: defaults, and one clear error naming file, line and field path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessim import InputError, load_scenario
from sessim.scenario import plan_table

SCENARIOS = Path(__file__).parents[1] / "scenarios"
GOOD = """\
name: t
duration_days: 5
sender:
  streams:
    - name: tx
      kind: transactional
      daily_volume: 1000
options:
  - name: shared
    pool: {type: shared}
  - name: dedicated
    pool:
      type: dedicated-standard
      ip_count: 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_reference_scenarios_validate():
    """Every shipped scenario loads."""
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert len(files) >= 4
    for f in files:
        assert load_scenario(f).name == f.stem


def test_defaults_fill_providers_and_overrides_merge(tmp_path):
    """The five default providers are filled in; an override changes only its field."""
    s = load_scenario(write(tmp_path, GOOD + "providers:\n  gmail: {cold_ip_per_hour: 42}\n"))
    assert list(s.providers) == ["gmail", "microsoft", "yahoo", "apple", "other"]
    assert s.providers["gmail"].cold_ip_per_hour == 42
    assert s.providers["gmail"].feedback_loop is False
    assert s.providers["yahoo"].cold_ip_per_hour == 100


@pytest.mark.parametrize("old,new,line,path", [
    ("      daily_volume: 1000", "      daily_volume: 1000\n      colour: blue", 8,
     "sender.streams[0].colour"),
    ("      ip_count: 2", "      ip_count: two", 14, "options[1].pool.ip_count"),
    ("      daily_volume: 1000", "      daily_volume: -5", 7, "sender.streams[0].daily_volume"),
    ("      daily_volume: 1000", "      daily_volume: 1000\n      open_rate: 1.5", 8,
     "sender.streams[0].open_rate"),
])
def test_bad_input_names_file_line_and_path(tmp_path, old, new, line, path):
    """Unknown keys, wrong types, negative volumes and rates outside 0..1 are reported
    with the file, the YAML line and the field path."""
    f = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputError) as err:
        load_scenario(f)
    message = str(err.value)
    assert str(f) in message and f"line {line}:" in message and path in message, message


def test_unknown_configuration_set_route_is_an_error(tmp_path):
    """An option routing a configuration set that no stream uses is refused."""
    text = GOOD.replace("    pool: {type: shared}", "    pool: {type: shared}\n"
                        "    configuration_sets: [nope]")
    with pytest.raises(InputError, match="nope"):
        load_scenario(write(tmp_path, text))


def test_unreadable_plan_csv_is_an_error(tmp_path):
    """A warm-up plan CSV that cannot be read is reported with the option's line."""
    text = GOOD.replace("      ip_count: 2", "      ip_count: 2\n      warmup: {csv: missing.csv}")
    with pytest.raises(InputError, match="missing.csv"):
        load_scenario(write(tmp_path, text))


def test_plan_csv_relative_to_the_scenario(tmp_path):
    """A plan CSV path is read relative to the scenario file; bad rows name their line."""
    (tmp_path / "plan.csv").write_text("day,daily_per_ip\n1,100\n2,200\n")
    text = GOOD.replace("      ip_count: 2", "      ip_count: 2\n      warmup: {csv: plan.csv}")
    s = load_scenario(write(tmp_path, text))
    assert [st.daily_per_ip for st in plan_table(s.options[1].pool.warmup)] == [100, 200]
    (tmp_path / "plan.csv").write_text("day,daily_per_ip\n1,100\nx,200\n")
    with pytest.raises(InputError, match="line 3"):
        load_scenario(write(tmp_path, text))


def test_presets_ship_with_the_package():
    """The trade's warm-up tables are shipped: SparkPost starts at 200/day per IP."""
    from sessim.scenario import WarmupPlan

    steps = plan_table(WarmupPlan(preset="sparkpost"))
    assert (steps[0].day, steps[0].daily_per_ip) == (1, 200)
    assert plan_table(WarmupPlan(preset="sendgrid"))[0].hourly_per_ip == 20


def test_with_changes_validates_and_leaves_the_original(tmp_path):
    """Changing a loaded scenario from Python addresses options and streams by name,
    validates like a file, and never mutates the original."""
    s = load_scenario(write(tmp_path, GOOD))
    changed = s.with_changes({"options.dedicated.pool.ip_count": 4,
                              "sender.streams.tx.daily_volume": 5000}, duration_days=9)
    assert changed.options[1].pool.ip_count == 4 and changed.duration_days == 9
    assert changed.sender.streams[0].daily_volume == 5000
    assert s.options[1].pool.ip_count == 2
    with pytest.raises(InputError, match="ip_count"):
        s.with_changes({"options.dedicated.pool.ip_count": -1})
    with pytest.raises(InputError, match="has no item named 'nope'"):
        s.with_changes({"options.nope.pool.ip_count": 1})
