"""AWS's published example records (shared/fixtures/ses-events) are read field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessim.profile.pipeline import build_profile
from sessim.profile.records import Event, parse_event
from sessim.scenario import load_scenario

FIXTURES = Path(__file__).parents[2] / "shared" / "fixtures" / "ses-events"
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")


def _event(name: str) -> Event:
    ev = parse_event(json.loads((FIXTURES / name).read_text()))
    assert isinstance(ev, Event), ev
    return ev


def test_every_fixture_parses() -> None:
    """Each of the ten event types is accepted with its configuration set."""
    kinds = {_event(f.name).kind for f in FIXTURES.glob("*.json")}
    assert kinds == {"Send", "Reject", "Bounce", "Complaint", "Delivery", "Open", "Click",
                     "Rendering Failure", "DeliveryDelay", "Subscription"}
    assert {_event(f.name).config_set for f in FIXTURES.glob("*.json")} == {"ConfigSet"}


def test_fixture_fields() -> None:
    """Bounce type, delivery time, outgoing IP and delay type come from the right fields."""
    bounce = _event("bounce.json")
    assert (bounce.bounce_type, bounce.bounce_subtype) == ("Permanent", "General")
    assert bounce.recipients == ("recipient@example.com",)
    delivery = _event("delivery.json")
    raw = json.loads((FIXTURES / "delivery.json").read_text())
    assert delivery.processing_ms == raw["delivery"]["processingTimeMillis"]
    assert delivery.outgoing_ip == raw["mail"]["tags"]["ses:outgoing-ip"][0]
    assert delivery.hour_key == raw["mail"]["timestamp"][:13]
    assert _event("deliverydelay.json").delay_type is not None


def test_fixture_folder_profiles_to_a_valid_scenario(tmp_path: Path) -> None:
    """The folder of fixtures (pretty-printed single objects) gives a loadable scenario."""
    result = build_profile([FIXTURES], name="fixtures")
    assert result.profile.bad == 0 and result.profile.records == 10
    result.write(tmp_path / "s.yaml", tmp_path / "s.profile.csv")
    scenario = load_scenario(tmp_path / "s.yaml")
    assert [s.name for s in scenario.sender.streams] == ["ConfigSet"]
    assert [o.pool.type for o in scenario.options] == ["shared", "dedicated-standard",
                                                       "dedicated-managed"]
