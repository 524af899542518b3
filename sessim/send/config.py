"""The scenario's ``sending`` section: relay, identities, warm-up, limits, providers.

Credentials never live here: only the NAMES of the environment variables that
hold them (``username_env``, ``password_env``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Provider by recipient domain (FACTS.md "Mailbox providers"); extend or override
# with ``sending.provider_domains``.
DEFAULT_PROVIDER_DOMAINS: dict[str, str] = {
    "gmail.com": "gmail", "googlemail.com": "gmail",
    "outlook.com": "microsoft", "hotmail.com": "microsoft", "live.com": "microsoft",
    "msn.com": "microsoft",
    "yahoo.com": "yahoo", "aol.com": "yahoo", "ymail.com": "yahoo",
    "icloud.com": "apple", "me.com": "apple", "mac.com": "apple",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Relay(_Model):
    """The SMTP server mail is handed to (SES SMTP endpoint or any relay)."""

    host: str
    port: Annotated[int, Field(gt=0, lt=65536)] = 587
    tls: Literal["starttls", "implicit", "none"] = Field(
        "starttls", description="starttls (port 587), implicit TLS (465) or none (tests only).")
    ca_file: str | None = Field(None, description="CA bundle to verify the server (default:"
                                                  " the system's).")
    username_env: str | None = Field(None, description="Name of the env var holding the"
                                                       " SMTP user name.")
    password_env: str | None = Field(None, description="Name of the env var holding the"
                                                       " SMTP password.")
    connections: Annotated[int, Field(ge=1, le=200)] = 4
    timeout_s: Annotated[float, Field(gt=0)] = Field(
        30.0, description="Timeout of each step: connect, TLS, each command, DATA.")
    helo_name: str | None = None


class Dkim(_Model):
    selector: str
    domain: str
    key_file: str = Field(description="PEM RSA key (1024-2048 bit) or base64 ed25519 seed.")
    algorithm: Literal["rsa-sha256", "ed25519-sha256"] = "rsa-sha256"


class Sending(_Model):
    """How ``sessim send`` sends real mail."""

    relay: Relay
    envelope_from: str = Field(description="MAIL FROM (Return-Path) address.")
    from_header: str = Field(description='The From header, e.g. "Shop <news@shop.example.com>".')
    stream: str = Field("warmup", description="Stream name used for suppression.")
    configuration_sets: dict[str, str] = Field(
        default_factory=lambda: {"dedicated": "warmup-dedicated", "shared": "warmup-shared"},
        description="X-SES-CONFIGURATION-SET per pool: 'dedicated' (the warming pool) and"
                    " 'shared' (overflow).")
    option: str | None = Field(
        None, description="Scenario option whose pool and warm-up plan apply; None: no"
                          " warm-up cap, everything through 'dedicated'.")
    warmup_start: dt.date | None = Field(
        None, description="Day 1 of the warm-up (default: the scenario's start_date).")
    daily_quota: Annotated[int, Field(gt=0)] | None = Field(
        None, description="Default: account.daily_quota.")
    max_send_rate_per_s: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Default: account.max_send_rate_per_s.")
    provider_domains: dict[str, str] = Field(
        default_factory=dict, description="Extra or overriding domain -> provider entries.")
    provider_max_per_hour: dict[str, float] = Field(
        default_factory=dict, description="Static rate limit per provider (messages/hour).")
    provider_connections: dict[str, int] = Field(
        default_factory=dict, description="Parallel connections allowed per provider.")
    retry_schedule_s: list[Annotated[float, Field(gt=0)]] | None = Field(
        None, description="Default: the scenario's engine.retry_schedule_s.")
    expiry_hours: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Default: the scenario's engine.expiry_hours.")
    dkim: Dkim | None = None
    allow_plaintext_auth: bool = Field(
        False, description="Allow relay.tls: none with credentials to a relay that is not"
                           " loopback (the password then crosses the network in clear).")
    reporting_mta: str = "sessim"

    @field_validator("configuration_sets")
    @classmethod
    def _pools(cls, value: dict[str, str]) -> dict[str, str]:
        missing = {"dedicated", "shared"} - set(value)
        if missing:
            raise ValueError(f"configuration_sets needs entries for {sorted(missing)}")
        for name in value.values():
            if "\r" in name or "\n" in name:
                raise ValueError("a configuration set name must not contain CR or LF")
        return value

    def provider_of(self, address: str) -> str:
        """The mailbox provider of an address, by its domain ("other" if unknown)."""
        domain = address.rsplit("@", 1)[-1].lower()
        table = {**DEFAULT_PROVIDER_DOMAINS, **{k.lower(): v for k, v in
                                                self.provider_domains.items()}}
        return table.get(domain, "other")
