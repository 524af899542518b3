"""The ``sessim`` command line: a thin adapter over the library.

Exit codes: 0 success, 1 failure while running, 2 invalid input or usage.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from sessim.errors import InputError, SessimError


def _fail(exc: SessimError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, InputError) else 1)


@click.group()
@click.version_option(package_name="sessim")
def main() -> None:
    """Simulate Amazon SES shared, dedicated and managed IPs; send the warm-up for real."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Output folder.")
@click.option("--seed", type=int, help="Override the scenario's seed.")
@click.option("--days", type=click.IntRange(min=1), help="Override the duration in days.")
@click.option("--quiet", is_flag=True, help="No progress bar, no table.")
def run(scenario: str, out: str | None, seed: int | None, days: int | None,
        quiet: bool) -> None:
    """Simulate a scenario's options side by side and write CSVs and plots.

    Example: sessim run scenarios/ses-ip-options.yaml
    """
    from tqdm import tqdm

    from sessim.runner import check_output_folder, simulate
    from sessim.scenario import load_scenario

    try:
        sc = load_scenario(scenario)
        if out:
            check_output_folder(out)
        total = (days or sc.duration_days) * len(sc.options)
        with tqdm(total=total, unit="day", desc=sc.name, disable=quiet, file=sys.stderr,
                  leave=False) as bar:
            result = simulate(sc, seed=seed, days=days, progress=lambda: bar.update(1))
        run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + \
            f"-seed{result.scenario.seed}"
        folder = Path(out) if out else Path("results") / sc.name / run_id
        result.save(folder)
    except SessimError as exc:
        _fail(exc)
    if not quiet:
        click.echo(comparison_table(result.summary))
    click.echo(f"wrote {folder}")


def comparison_table(summary) -> str:
    """The short comparison printed after a run."""
    cols = {"option": "option", "pool": "pool", "inbox_rate": "inbox", "spam_rate": "spam",
            "deferral_rate": "deferred", "p95_delay_s": "p95 delay",
            "days_to_warm": "days to warm", "worst_account_status": "account",
            "monthly_cost_usd": "USD/month"}
    table = summary[list(cols)].rename(columns=cols).copy()
    for c in ("inbox", "spam", "deferred"):
        table[c] = table[c].map(lambda v: f"{v:.2%}")
    table["p95 delay"] = table["p95 delay"].map(lambda v: f"{v / 3600:.1f} h")
    table["days to warm"] = table["days to warm"].map(
        lambda v: "never" if v != v else f"{int(v)}")
    table["USD/month"] = table["USD/month"].map(lambda v: f"{v:,.0f}")
    return table.to_string(index=False)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario files; print what is wrong and where.

    Example: sessim validate scenarios/*.yaml
    """
    from sessim.scenario import load_scenario

    bad = 0
    for f in files:
        try:
            load_scenario(f)
            click.echo(f"{f}: ok")
        except InputError as exc:
            bad += 1
            click.echo(f"error: {exc}", err=True)
    if bad:
        sys.exit(2)


@main.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor completion of YAML files)."""
    from sessim.scenario import Scenario

    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              **Scenario.model_json_schema()}
    click.echo(json.dumps(schema, indent=2))


@main.command()
@click.argument("line")
@click.option("--provider", type=click.Choice(["gmail", "microsoft", "yahoo", "apple", "other"]),
              help="The provider whose rules apply first.")
def reply(line: str, provider: str | None) -> None:
    """Classify an SMTP reply as SES would report it, as JSON.

    Example: sessim reply --provider gmail "421-4.7.28 ... temporarily rate limited"
    """
    from sessim.engine.replies import Reply, classify

    try:
        parsed = Reply.parse(line)
    except ValueError as exc:
        _fail(InputError(str(exc)))
    result = classify(parsed, provider).to_dict()
    click.echo(json.dumps({"code": parsed.code, "enhanced": parsed.enhanced, **result},
                          indent=2))


from sessim.batch.cli import batch  # noqa: E402
from sessim.profile.cli import profile  # noqa: E402
from sessim.send.cli import send  # noqa: E402

main.add_command(batch)
main.add_command(profile)
main.add_command(send)
