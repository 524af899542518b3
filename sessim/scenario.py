"""The scenario: validated, frozen description of one study (pydantic v2).

The scenario is the single source of truth for a run; YAML is only its file
form (see :func:`load_scenario`). Every model forbids unknown keys, units are in
field names, and every default that no source gives is marked "Assumption" in
its description (the README lists them all).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sessim.engine.core import Rule as EngineRule
from sessim.errors import InputError
from sessim.providers import DEFAULT_PROVIDER_NAMES, REPLY_SITUATIONS, default_provider
from sessim.send.config import Sending
from sessim.yamlio import load_yaml, validation_error_message

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[float, Field(ge=0.0)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHARED_POOL = "ses-shared-pool"
PLANS_DIR = Path(__file__).parent / "data" / "plans"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- providers
class Provider(Model):
    """A mailbox provider's parameters (defaults in :mod:`sessim.providers`)."""

    market_share: Rate
    feedback_loop: bool
    cold_ip_per_hour: Annotated[float, Field(gt=0)]
    established_ip_per_hour: Annotated[float, Field(gt=0)]
    growth_per_day: Annotated[float, Field(ge=1.0)]
    volume_memory_days: Annotated[float, Field(gt=0)]
    known_volume_per_day: Annotated[float, Field(gt=0)]
    unknown_score: Rate
    complaint_rate_half: Annotated[float, Field(gt=0)]
    unknown_user_rate_half: Annotated[float, Field(gt=0)]
    spam_trap_rate_half: Annotated[float, Field(gt=0)]
    fall_hours: Annotated[float, Field(gt=0)]
    rise_days: Annotated[float, Field(gt=0)]
    signal_hours: Annotated[float, Field(gt=0)]
    domain_weight: Rate
    inbox_midpoint: Rate
    inbox_steepness: Annotated[float, Field(gt=0)]
    block_below: Rate
    bulk_threshold_per_day: Annotated[int, Field(gt=0)] | None
    bulk_requires: list[Literal["spf", "dkim", "dmarc", "one_click_unsubscribe"]]
    noncompliant_reject_share: Rate
    escalate_after_hours: Annotated[float, Field(gt=0)] | None
    escalation_block_hours: Annotated[float, Field(gt=0)]
    ignored_deferral_share: Rate
    replies: dict[str, str]

    @field_validator("replies")
    @classmethod
    def _known_situations(cls, replies: dict[str, str]) -> dict[str, str]:
        unknown = set(replies) - set(REPLY_SITUATIONS)
        if unknown:
            raise ValueError(f"unknown reply situation(s) {sorted(unknown)};"
                             f" known: {', '.join(REPLY_SITUATIONS)}")
        return replies


# ---------------------------------------------------------------- sender
class Campaign(Model):
    """A scheduled send: ``volume`` messages on ``weekday`` starting at ``hour``."""

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "daily"]
    hour: Annotated[int, Field(ge=0, le=23)] = 10
    volume: Count
    # Assumption: a blast drains over a few hours, as ESPs pace large sends.
    spread_hours: Annotated[int, Field(ge=1, le=24)] = 3


class Episode(Model):
    """A window of days in which a stream's list quality changes (e.g. a complaint spike)."""

    start_day: Annotated[int, Field(ge=0)]
    end_day: Annotated[int, Field(gt=0)]
    unknown_user_rate: Rate | None = None
    complaint_rate: Rate | None = None
    spam_trap_rate: Rate | None = None
    volume_multiplier: Annotated[float, Field(ge=0)] | None = None


class Stream(Model):
    """One kind of mail the sender sends, with its own volume and list quality."""

    name: str
    kind: Literal["transactional", "notification", "marketing"]
    configuration_set: str | None = Field(
        None, description="SES configuration set; defaults to the stream's name.")
    daily_volume: Count | None = None
    hourly_profile: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, description="24 relative weights, hour 0..23 (UTC); default by kind.")
    campaigns: list[Campaign] = []
    growth_per_month: Annotated[float, Field(ge=-1.0)] = 0.0
    unknown_user_rate: Rate = 0.005
    mailbox_full_rate: Rate = 0.002
    mailbox_full_persistence: Rate = Field(
        0.5, description="Assumption: share of full mailboxes still full at each retry.")
    complaint_rate: Rate = Field(0.0005, description="Share of inboxed mail reported as spam.")
    open_rate: Rate = 0.2
    spam_trap_rate: Rate = 0.0
    list_size: Annotated[int, Field(gt=0)] | None = Field(
        None, description="Distinct recipients; with it, suppression shrinks repeat bounces.")
    provider_mix: dict[str, Rate] | None = Field(
        None, description="Share of recipients per provider; default: providers' market shares.")
    episodes: list[Episode] = []

    @model_validator(mode="after")
    def _has_volume(self) -> Stream:
        if self.daily_volume is None and not self.campaigns:
            raise ValueError("a stream needs daily_volume or campaigns")
        if self.hourly_profile is not None and (
                len(self.hourly_profile) != 24 or sum(self.hourly_profile) <= 0):
            raise ValueError("hourly_profile needs 24 non-negative weights, not all zero")
        if self.provider_mix is not None and sum(self.provider_mix.values()) <= 0:
            raise ValueError("provider_mix shares must not all be zero")
        return self

    @property
    def config_set(self) -> str:
        return self.configuration_set or self.name


class Authentication(Model):
    """What mailbox providers check against their bulk-sender rules (FACTS.md)."""

    dkim: bool = True
    dkim_key_bits: Literal[1024, 2048] = 2048
    spf_aligned: bool = Field(True, description="SPF aligned through a custom MAIL FROM domain.")
    dmarc_policy: Literal["missing", "none", "quarantine", "reject"] = "none"
    one_click_unsubscribe: bool = Field(True, description="RFC 8058 on marketing mail.")

    def meets(self, requirement: str, kind: str) -> bool:
        """Whether mail of stream ``kind`` meets one bulk-sender requirement."""
        if requirement == "spf":
            return self.spf_aligned
        if requirement == "dkim":
            return self.dkim
        if requirement == "dmarc":
            return self.dmarc_policy != "missing"
        return kind != "marketing" or self.one_click_unsubscribe


class Sender(Model):
    domain: str = "example.com"
    authentication: Authentication = Authentication()
    streams: Annotated[list[Stream], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self) -> Sender:
        names = [s.name for s in self.streams]
        if len(set(names)) != len(names):
            raise ValueError(f"stream names must be unique: {names}")
        return self


# ---------------------------------------------------------------- pools
class PlanStep(Model):
    """Cap per IP on one warm-up day (1-based), optionally per provider and per hour."""

    day: Annotated[int, Field(ge=1)]
    daily_per_ip: Count | None = None
    hourly_per_ip: Count | None = None
    provider: str | None = None


class WarmupPlan(Model):
    """A warm-up plan: a shipped preset, a CSV file, or an inline table."""

    preset: Literal["sparkpost", "sendgrid", "mailtrap"] | None = None
    csv: str | None = None
    steps: list[PlanStep] = []

    @model_validator(mode="after")
    def _one_source(self) -> WarmupPlan:
        given = [x for x in (self.preset, self.csv, self.steps or None) if x]
        if len(given) != 1:
            raise ValueError("a warm-up plan needs exactly one of preset, csv or steps")
        return self


class SharedPool(Model):
    type: Literal["shared"] = "shared"


class DedicatedStandardPool(Model):
    type: Literal["dedicated-standard"]
    ip_count: Annotated[int, Field(gt=0)] = 1
    warmup: Literal["ses-auto", "none"] | WarmupPlan = "ses-auto"
    # FACTS.md "IP options": auto warm-up reaches 50,000/day per IP by day 45.
    auto_warmup_days: Annotated[int, Field(gt=0)] = 45
    auto_warmup_final_daily_per_ip: Count = 50_000
    # Assumption: the ramp's shape is not published; geometric from this start.
    auto_warmup_first_daily_per_ip: Annotated[float, Field(gt=0)] = 250
    # Assumption: an hour may use this many hours' share of a daily cap (a day's cap
    # within 4 hours), as a blast would.
    hourly_burst: Annotated[float, Field(ge=1.0, le=24.0)] = 6.0
    lease_days: Annotated[int, Field(gt=0)] | None = Field(
        None, description="Release the IPs after this many days (cost prorated by day).")


class DedicatedManagedPool(Model):
    type: Literal["dedicated-managed"]
    # Assumption: daily volume SES plans per managed IP when scaling the pool.
    daily_per_ip: Annotated[float, Field(gt=0)] = 250_000
    # Assumption: SES's first-day cap per provider on a new managed pool.
    first_daily_per_provider: Annotated[float, Field(gt=0)] = 1_000
    # Assumption: daily growth of the per-provider cap while no throttling is seen.
    growth_per_day: Annotated[float, Field(ge=1.0)] = 1.5
    # Assumption: overflow to shared IPs while the provider's warm-up is below this.
    overflow_until_pct: Rate = 0.25
    # Assumption: an hour may carry this many hours' share of the day's cap.
    hourly_burst: Annotated[float, Field(ge=1.0, le=24.0)] = 4.0
    # Assumption: daily factor by which the cap slips while demand stays under half of it.
    daily_slip: Annotated[float, Field(gt=0.0, le=1.0)] = 0.95


Pool = Annotated[SharedPool | DedicatedStandardPool | DedicatedManagedPool,
                 Field(discriminator="type")]


POOL_TYPES = ("shared", "dedicated-standard", "dedicated-managed")


class Option(Model):
    """One way of sending to compare: a pool, and which configuration sets use it."""

    name: str
    pool: Pool
    configuration_sets: list[str] | None = Field(
        None, description="Configuration sets routed to this pool; default all, others use"
                          " ses-shared-pool.")


# ---------------------------------------------------------------- SES account
class Account(Model):
    # FACTS.md "SES account": common production starting values (third-party; assumption).
    daily_quota: Annotated[int, Field(gt=0)] = 50_000
    max_send_rate_per_s: Annotated[float, Field(gt=0)] = 14.0
    # FACTS.md "Enforcement".
    bounce_review: Rate = 0.05
    bounce_pause: Rate = 0.10
    complaint_review: Rate = 0.001
    complaint_pause: Rate = 0.005
    # FACTS.md: rates measured over about the last 10,000 eligible sends.
    representative_volume: Annotated[int, Field(gt=0)] = 10_000
    # Assumption: SES judges the day's mean of its hourly window rates, not single hours.
    # Assumption: days under review before SES pauses if the rate is still at review level.
    review_period_days: Annotated[int, Field(gt=0)] = 7


# ---------------------------------------------------------------- pricing
class Band(Model):
    up_to_per_month: Count | None = Field(None, description="None: no upper bound.")
    usd_per_1000: Count


class PlanPrice(Model):
    usd_per_month: Count = 0.0
    bands: Annotated[list[Band], Field(min_length=1)]


def _plan(fee: float, *rates: float) -> PlanPrice:
    """A 2026 plan: marginal bands for the first 10M, 10M-100M, above 100M a month."""
    limits = (10e6, 100e6, None)
    return PlanPrice(usd_per_month=fee, bands=[Band(up_to_per_month=u, usd_per_1000=r)
                                               for u, r in zip(limits, rates)])


class Pricing(Model):
    """Prices (FACTS.md "Prices"; third-party copies, every one a parameter)."""

    plan: str = "a-la-carte"
    plans: dict[str, PlanPrice] = {
        "a-la-carte": PlanPrice(bands=[Band(usd_per_1000=0.10)]),
        "essentials": _plan(0.0, 0.16, 0.14, 0.11),
        "pro": _plan(105.0, 0.22, 0.17, 0.12),
        "enterprise": _plan(500.0, 0.23, 0.18, 0.13),
    }
    dedicated_ip_usd_per_month: Count = 24.95
    managed_usd_per_month: Count = 15.0
    # Assumption: tier boundaries of the managed per-message charge are not published.
    managed_bands: list[Band] = [Band(up_to_per_month=100e6, usd_per_1000=0.08),
                                 Band(up_to_per_month=500e6, usd_per_1000=0.04),
                                 Band(usd_per_1000=0.02)]

    @model_validator(mode="after")
    def _known_plan(self) -> Pricing:
        if self.plan not in self.plans:
            raise ValueError(f"unknown pricing plan {self.plan!r}; known: {', '.join(self.plans)}")
        return self


# ---------------------------------------------------------------- shared pool
class Incident(Model):
    """A window in which the shared pool's other tenants complain more."""

    start_day: Annotated[int, Field(ge=0)]
    duration_days: Annotated[float, Field(gt=0)]
    complaint_multiplier: Annotated[float, Field(ge=0)] = 10.0


class Tenants(Model):
    """The other senders on the SES shared IPs your mail goes through (assumptions)."""

    daily_volume: Count = 5_000_000
    complaint_rate: Rate = 0.0008
    unknown_user_rate: Rate = 0.01
    spam_trap_rate: Rate = 0.00005
    open_rate: Rate = 0.15
    # Assumption: SES spreads a burst over many warm shared IPs, so the shared pool
    # accepts up to this multiple of the tenants' average hourly volume.
    burst_capacity: Annotated[float, Field(ge=1.0)] = 20.0
    incidents: list[Incident] = []


# ---------------------------------------------------------------- engine
class ShapingRule(Model):
    """Reply regex -> action, after ``threshold`` matches within ``window_minutes``."""

    name: str
    regex: str
    provider: str | None = None
    action: Literal["suspend", "slow"]
    duration_minutes: Annotated[float, Field(gt=0)]
    factor: Annotated[float, Field(gt=0, le=1)] = 0.5
    threshold: Annotated[int, Field(ge=1)] = 1
    window_minutes: Annotated[float, Field(gt=0)] = 60
    # Assumption: a slowed pool still sends one message a minute to probe the provider.
    min_per_hour: Annotated[float, Field(ge=0)] = 60

    def compiled(self) -> EngineRule:
        """The engine's form of this rule (regex compiled, times in seconds)."""
        return EngineRule(self.name, re.compile(self.regex), self.action,
                          self.duration_minutes * 60, self.factor, self.threshold,
                          self.window_minutes * 60, self.provider, self.min_per_hour)

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, regex: str) -> str:
        try:
            re.compile(regex)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return regex


def _default_rules() -> list[ShapingRule]:
    # Rules in the manner of KumoMTA's shaping automation, one per throttling reply of
    # FACTS.md. Yahoo asks for a 4-hour pause (help.yahoo.com SLN26151); the others
    # are answered by slowing to what the provider accepted (assumption: for an hour).
    return [
        ShapingRule(name="gmail-rate-limited", regex=r"4\.7\.28", action="slow",
                    duration_minutes=60, factor=1.0),
        ShapingRule(name="yahoo-tss04", regex=r"\[(TSS04|TS01)\]", action="suspend",
                    duration_minutes=240),
        ShapingRule(name="microsoft-s775", regex=r"S775", action="slow",
                    duration_minutes=60, factor=1.0),
        ShapingRule(name="apple-excessive-volume", regex=r"excessive volume", action="slow",
                    duration_minutes=60, factor=1.0),
        ShapingRule(name="generic-throttle", regex=r"^4\d\d 4\.7\.0", action="slow",
                    duration_minutes=60, factor=1.0),
    ]


class Engine(Model):
    """Sender-side behaviour: retries, expiry and adaptive shaping."""

    # FACTS.md: SES advises 5 s, 10 s, 30 s then 20 min; ESPs retry every ~15 min.
    retry_schedule_s: list[Annotated[float, Field(gt=0)]] = [5, 10, 30, 1200]
    # FACTS.md: ESPs retry deferred mail up to 72 h, then bounce.
    expiry_hours: Annotated[float, Field(gt=0)] = 72
    shaping: bool = Field(True, description="Adaptive backoff on throttling replies.")
    shaping_rules: list[ShapingRule] = Field(default_factory=_default_rules)


# ---------------------------------------------------------------- scenario
class Scenario(Model):
    """One study: the sender, the providers, and the options to compare."""

    name: str
    description: str = ""
    start_date: dt.date = dt.date(2026, 1, 5)
    duration_days: Annotated[int, Field(gt=0, le=3660)] = 90
    tick_minutes: Literal[15, 20, 30, 60] = 60
    seed: Annotated[int, Field(ge=0)] = 1
    sender: Sender
    providers: dict[str, Provider] = Field(default_factory=dict)
    options: Annotated[list[Option], Field(min_length=1)]
    account: Account = Account()
    pricing: Pricing = Pricing()
    tenants: Tenants = Tenants()
    engine: Engine = Engine()
    sending: Sending | None = Field(None, description="Real sending (`sessim send`).")

    @model_validator(mode="before")
    @classmethod
    def _fill_providers(cls, data: Any) -> Any:
        """Merge the user's per-provider overrides over the defaults."""
        if not isinstance(data, dict):
            return data
        given = data.get("providers") or {}
        if not isinstance(given, dict):
            return data
        merged: dict[str, Any] = {}
        for name in [*DEFAULT_PROVIDER_NAMES, *[n for n in given if n not in merged]]:
            override = given.get(name, {})
            if not isinstance(override, dict):
                merged[name] = override  # let field validation report it
                continue
            base = default_provider(name)
            if name not in DEFAULT_PROVIDER_NAMES:
                # A new provider (or a misspelt one) must say how much of a list it holds.
                del base["market_share"]
            replies = {**base["replies"], **(override.get("replies") or {})}
            merged[name] = {**base, **override, "replies": replies}
        return {**data, "providers": merged}

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names = [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise ValueError(f"options: names must be unique, got {names}")
        config_sets = {s.config_set for s in self.sender.streams}
        for i, option in enumerate(self.options):
            for cs in option.configuration_sets or []:
                if cs not in config_sets:
                    raise ValueError(f"options[{i}].configuration_sets: {cs!r} is used by no"
                                     f" stream (streams use {sorted(config_sets)})")
        for i, stream in enumerate(self.sender.streams):
            for provider in stream.provider_mix or {}:
                if provider not in self.providers:
                    raise ValueError(f"sender.streams[{i}].provider_mix: unknown provider"
                                     f" {provider!r}; known: {', '.join(self.providers)}")
        return self

    # -- derived views used by the world
    @property
    def provider_names(self) -> list[str]:
        return list(self.providers)

    def provider_mix(self, stream: Stream) -> dict[str, float]:
        """Normalised share of a stream's recipients per provider."""
        mix = stream.provider_mix or {n: p.market_share for n, p in self.providers.items()}
        total = sum(mix.values())
        return {n: mix.get(n, 0.0) / total for n in self.providers}

    def with_changes(self, changes: dict[str, Any] | None = None, **fields: Any) -> Scenario:
        """A validated copy with some values changed; the original is untouched.

        Keys are dotted paths; a list of named items (options, streams) is indexed
        by name or position: ``{"options.dedicated.pool.ip_count": 4,
        "sender.streams.marketing.daily_volume": 2e6, "providers.gmail.cold_ip_per_hour":
        300}``. Top-level fields may also be given as keywords (``duration_days=30``).
        Raises :class:`InputError` naming the path when a change does not validate.
        """
        data = self.model_dump(mode="json")
        for path, value in {**(changes or {}), **fields}.items():
            set_path(data, path, value)
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            raise _input_error(exc, "changes", None) from exc

    def sha256(self) -> str:
        # A scenario without a sending section hashes as before the section existed.
        exclude = {"sending"} if self.sending is None else None
        text = json.dumps(self.model_dump(mode="json", exclude=exclude), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _input_error(exc: ValidationError, source: str, lines: Any) -> InputError:
    message = validation_error_message(exc, source, lines)
    for tag in POOL_TYPES:  # pydantic names the union member in the path; users don't
        message = message.replace(f".{tag}.", ".")
    return InputError(message)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` in plain scenario data (see ``with_changes``)."""
    node: Any = data
    parts = path.split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part, ".".join(parts[:i]))
            if last:
                node[index] = value
            node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            elif part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            raise InputError(f"{path}: {'.'.join(parts[:i])} is a value, not a mapping or list")


def _list_index(items: list, key: str, where: str) -> int:
    if key.isdigit() and int(key) < len(items):
        return int(key)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == key:
            return i
    names = [item.get("name") for item in items if isinstance(item, dict)]
    raise InputError(f"{where} has no item named {key!r} (names: {', '.join(map(str, names))})")


# ---------------------------------------------------------------- loading
def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """Read and validate a scenario YAML file.

    Relative plan CSV paths are resolved against the file's folder. Raises
    :class:`sessim.errors.InputError` naming the file, YAML line and field path.
    """
    path = Path(path)
    data, lines = load_yaml(path)
    data = {**data, **overrides}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _input_error(exc, str(path), lines) from exc
    scenario = _resolve_plan_paths(scenario, path.parent)
    for option in scenario.options:
        if isinstance(option.pool, DedicatedStandardPool) and isinstance(option.pool.warmup,
                                                                         WarmupPlan):
            try:
                plan_table(option.pool.warmup)
            except InputError as exc:
                line = lines.line_for(("options", scenario.options.index(option), "pool"))
                raise InputError(f"{path}: line {line}: options[{scenario.options.index(option)}]"
                                 f".pool.warmup: {exc}") from exc
    return scenario


def _resolve_plan_paths(scenario: Scenario, folder: Path) -> Scenario:
    options = []
    for option in scenario.options:
        pool = option.pool
        if (isinstance(pool, DedicatedStandardPool) and isinstance(pool.warmup, WarmupPlan)
                and pool.warmup.csv and not Path(pool.warmup.csv).is_absolute()):
            # Absolute, so that the resolved scenario.yaml of a run can be run again.
            plan = pool.warmup.model_copy(
                update={"csv": str((folder / pool.warmup.csv).resolve())})
            option = option.model_copy(update={"pool": pool.model_copy(update={"warmup": plan})})
        options.append(option)
    return scenario.model_copy(update={"options": options})


def plan_table(plan: WarmupPlan) -> list[PlanStep]:
    """The plan's steps: inline, from a shipped preset, or read from its CSV.

    A CSV has a ``day`` (or ``warmup_age_days``, 0-based) column and one of
    ``daily_volume_per_ip`` / ``emails_per_day`` / ``daily_per_ip`` and
    ``hourly_email_limit`` / ``max_emails_per_hour`` / ``hourly_per_ip``;
    an optional ``provider`` column makes the caps per provider.
    """
    if plan.steps:
        return sorted(plan.steps, key=lambda s: s.day)
    path = PLANS_DIR / f"{_PRESET_FILES[plan.preset]}" if plan.preset else Path(plan.csv or "")
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(f"cannot read warm-up plan CSV {path}: {exc.strerror}") from exc
    steps = []
    for lineno, row in enumerate(rows, start=2):
        try:
            steps.append(_plan_row(row))
        except (ValueError, ValidationError) as exc:
            raise InputError(f"{path}: line {lineno}: bad warm-up plan row {row}: {exc}") from exc
    if not steps:
        raise InputError(f"{path}: warm-up plan CSV has no rows")
    return sorted(steps, key=lambda s: s.day)


_PRESET_FILES = {"sparkpost": "sparkpost-daily-per-ip.csv",
                 "sendgrid": "sendgrid-auto-hourly-per-ip.csv",
                 "mailtrap": "mailtrap-auto-daily-hourly.csv"}
_DAILY = ("daily_volume_per_ip", "emails_per_day", "daily_per_ip")
_HOURLY = ("hourly_email_limit", "max_emails_per_hour", "hourly_per_ip")


def _plan_row(row: dict[str, str]) -> PlanStep:
    if "day" in row:
        day = int(row["day"])
    elif "warmup_age_days" in row:
        day = int(row["warmup_age_days"]) + 1
    else:
        raise ValueError("needs a 'day' or 'warmup_age_days' column")
    daily = next((float(row[k]) for k in _DAILY if row.get(k)), None)
    hourly = next((float(row[k]) for k in _HOURLY if row.get(k)), None)
    if daily is None and hourly is None:
        raise ValueError(f"needs a daily ({'/'.join(_DAILY)}) or hourly"
                         f" ({'/'.join(_HOURLY)}) cap column")
    return PlanStep(day=day, daily_per_ip=daily, hourly_per_ip=hourly,
                    provider=row.get("provider") or None)
