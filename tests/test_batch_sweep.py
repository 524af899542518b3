"""Sweep files: validation with file/line/field errors, overrides by named path, points, seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_helpers import write_sweep

from sessim.batch.sweep import (
    Point,
    Sweep,
    apply_override,
    build_scenario,
    load_sweep,
    replication_seeds,
)
from sessim.errors import InputError

DATA = {"options": [{"name": "shared", "pool": {"type": "shared"}},
                    {"name": "dedicated", "pool": {"type": "dedicated-standard", "ip_count": 4}}],
        "sender": {"streams": [{"name": "marketing", "daily_volume": 10}]},
        "providers": {"gmail": {"cold_ip_per_hour": 200}}}


def test_override_selects_list_items_by_name() -> None:
    """A segment after a list of named objects picks the item by name; the input is untouched."""
    out = apply_override(DATA, "options.dedicated.pool.ip_count", 2)
    assert out["options"][1]["pool"]["ip_count"] == 2
    assert DATA["options"][1]["pool"]["ip_count"] == 4
    out = apply_override(DATA, "sender.streams.marketing.daily_volume", 99)
    assert out["sender"]["streams"][0]["daily_volume"] == 99
    assert apply_override(DATA, "providers.gmail.cold_ip_per_hour", 5)["providers"]["gmail"] \
        == {"cold_ip_per_hour": 5}
    assert apply_override(DATA, "options.0.name", "x")["options"][0]["name"] == "x"


def test_override_of_unknown_item_names_the_known_ones() -> None:
    """Selecting a missing option says which names exist."""
    with pytest.raises(InputError, match="options has no item named 'dedi'.*shared, dedicated"):
        apply_override(DATA, "options.dedi.pool.ip_count", 2)


def test_grid_and_zip_points() -> None:
    """Grid takes every combination in order; zip pairs the i-th values."""
    params = {"a": [1, 2], "b": ["x", "y"]}
    grid = Sweep(name="s", scenarios=["x.yaml"], parameters=params).points()
    assert [p.values for p in grid] == [(("a", 1), ("b", "x")), (("a", 1), ("b", "y")),
                                        (("a", 2), ("b", "x")), (("a", 2), ("b", "y"))]
    zipped = Sweep(name="s", scenarios=["x.yaml"], parameters=params, mode="zip").points()
    assert [p.values for p in zipped] == [(("a", 1), ("b", "x")), (("a", 2), ("b", "y"))]
    assert Sweep(name="s", scenarios=["x.yaml"]).points() == [Point(0, ())]


def test_replication_seeds_are_reproducible_and_distinct() -> None:
    """Seeds are spawned from the master seed: same master, same seeds; all different."""
    seeds = replication_seeds(7, 10)
    assert seeds == replication_seeds(7, 10) and len(set(seeds)) == 10
    assert seeds[:3] == replication_seeds(7, 3)
    assert seeds != replication_seeds(8, 10)


def test_sweep_error_names_file_line_and_field(tmp_path: Path) -> None:
    """A bad sweep field is reported with the file, its line and the field path."""
    path = write_sweep(tmp_path, "replications: 0\nmode: cross\n")
    with pytest.raises(InputError) as err:
        load_sweep(path)
    text = str(err.value)
    assert "2 errors in sweep" in text
    assert f"{path}: line 3: replications: Input should be greater than or equal to 1" in text
    assert f"{path}: line 4: mode:" in text


def test_zip_needs_equal_lengths(tmp_path: Path) -> None:
    """Zip with lists of different lengths is an input error."""
    path = write_sweep(tmp_path, "mode: zip\nparameters:\n  account.daily_quota: [1, 2]\n"
                                 "  seed: [1]\n")
    with pytest.raises(InputError, match="equal length"):
        load_sweep(path)


def test_unknown_path_is_reported_at_load(tmp_path: Path) -> None:
    """A parameter path naming a missing option fails at load, with its line."""
    path = write_sweep(tmp_path, "parameters:\n  options.dedicatd.pool.ip_count: [1]\n")
    with pytest.raises(InputError, match=r"line 4: parameters.options.dedicatd.pool.ip_count:"
                                         r" in scenario 'ses-ip-options': options has no item"):
        load_sweep(path)


def test_missing_base_scenario(tmp_path: Path) -> None:
    """A base scenario that cannot be loaded is reported with the sweep's line."""
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nscenarios: [nope.yaml]\n")
    with pytest.raises(InputError, match=r"(?s)line 2: scenarios\[0\].*nope.yaml: file not found"):
        load_sweep(path)


def test_bad_value_fails_validation_with_field_path(tmp_path: Path) -> None:
    """An override value that does not validate names the point and the field."""
    loaded = load_sweep(write_sweep(tmp_path))
    point = Point(3, (("options.dedicated.pool.ip_count", -1),))
    with pytest.raises(InputError, match=r"point 3.*options\[1\].pool.*ip_count"):
        build_scenario(loaded.bases[0][1], point, "point 3")
    good = build_scenario(loaded.bases[0][1], Point(0, (("options.dedicated.pool.ip_count", 3),)),
                          "p")
    assert good.options[1].pool.ip_count == 3


def test_example_sweep_loads() -> None:
    """The shipped example sweep validates: 3 IP counts x 3 volumes, 10 replications."""
    from batch_helpers import ROOT

    loaded = load_sweep(ROOT / "scenarios" / "sweeps" / "ip-count-x-volume.yaml")
    assert len(loaded.sweep.points()) == 9 and loaded.sweep.replications == 10


def test_misspelt_last_path_segment_is_refused_at_load(tmp_path: Path) -> None:
    """A parameter path whose last segment is not a field is an input error at load
    time, not twelve failed runs."""
    sweep = write_sweep(tmp_path, "parameters:\n  options.dedicated.pool.ip_cont: [1, 2]\n"
                                  "replications: 2\n")
    with pytest.raises(InputError, match="ip_cont"):
        load_sweep(sweep)
