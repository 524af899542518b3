"""The ``sessim profile`` command: SES event exports -> scenario YAML + report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sessim.errors import InputError, SessimError


@click.command()
@click.argument("events", nargs=-1, required=True, type=click.Path())
@click.option("--out", default="scenario.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="Scenario YAML to write.")
@click.option("--report", type=click.Path(dir_okay=False),
              help="Report CSV (default: next to --out, as <name>.profile.csv).")
@click.option("--name", default=None, help="Scenario name (default: the --out file's stem).")
@click.option("--quiet", is_flag=True, help="Do not print the report.")
def profile(events: tuple[str, ...], out: str, report: str | None, name: str | None,
            quiet: bool) -> None:
    """Build a scenario from SES event exports (files or folders, gzip or not).

    Example: sessim profile exports/ --out mine.yaml && sessim run mine.yaml
    """
    from sessim.profile.pipeline import build_profile

    out_path = Path(out)
    report_path = Path(report) if report else out_path.with_suffix(".profile.csv")
    try:
        result = build_profile(events, name=name or out_path.stem)
        result.write(out_path, report_path)
    except SessimError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, InputError) else 1)
    if result.profile.bad:
        click.echo(f"warning: {result.profile.bad} unusable record(s), first shown:", err=True)
        for bad in result.profile.bad_examples:
            click.echo(f"  {bad}", err=True)
    if not quiet:
        click.echo(result.text)
    click.echo(f"wrote {out_path} and {report_path}")
