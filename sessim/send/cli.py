"""The ``sessim send`` command: a thin adapter over :mod:`sessim.send.runner`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sessim.errors import InputError, SessimError


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--recipients", required=True, type=click.Path(dir_okay=False),
              help="CSV with an 'email' column; other columns fill {{placeholders}}.")
@click.option("--message", required=True, type=click.Path(dir_okay=False),
              help="RFC 5322 message file (the template).")
@click.option("--state", "state_dir", type=click.Path(file_okay=False),
              help="State folder (SQLite outbox). Default: sessim-state/<scenario name>.")
@click.option("--events", type=click.Path(dir_okay=False),
              help="SES-format events, JSON lines. Default: <state>/events.jsonl.")
@click.option("--dry-run", is_flag=True, help="Send nothing; print today's routing.")
@click.option("--on-bad-row", type=click.Choice(["abort", "skip"]), default="abort",
              show_default=True, help="What to do with a malformed CSV row.")
@click.option("--quiet", is_flag=True, help="No progress line.")
def send(scenario: str, recipients: str, message: str, state_dir: str | None,
         events: str | None, dry_run: bool, on_bad_row: str, quiet: bool) -> None:
    """Send real mail through the scenario's SMTP relay with the simulation's engine.

    Example: sessim send scenarios/send-warmup.yaml --recipients list.csv --message m.eml

    SMTP credentials come from the environment variables named in sending.relay.
    Run the same command again after a crash: it resumes and sends nothing twice
    (except messages in flight at the crash).
    """
    from sessim.send import runner

    try:
        inputs = runner.load_inputs(scenario, recipients, message, on_bad_row)
        for bad in inputs.bad_rows:
            click.echo(f"skipped {recipients}: {bad}", err=True)
        folder = Path(state_dir) if state_dir else Path("sessim-state") / inputs.scenario.name
        if dry_run:
            existing = (folder / "state.sqlite3").is_file()
            day, rows = runner.routing_today(inputs, state_dir=folder if existing else None)
            click.echo(f"warm-up day: {day if day is not None else 'no warm-up'}")
            click.echo(f"{'provider':<12}{'recipients':>11}{'dedicated':>11}{'shared':>9}"
                       f"{'suppressed':>11}{'later':>8}")
            for r in rows:
                click.echo(f"{r['provider']:<12}{r['recipients']:>11}{r['dedicated']:>11}"
                           f"{r['shared']:>9}{r['suppressed']:>11}{r['later']:>8}")
            if existing:
                click.echo(f"from the state in {folder} (read only: its suppression list,"
                           " today's quota and warm-up use, the job's queued messages)")
            else:
                click.echo(f"no state in {folder}: assumes a fresh state (empty suppression"
                           " list, no quota or warm-up used today)")
            return
        last = [0.0]

        def progress(p) -> None:
            if not quiet:
                click.echo(p.line(time.time()), err=True)
            last[0] = time.time()

        result, states = runner.send(inputs, folder, events, progress)
    except KeyboardInterrupt:
        click.echo("interrupted; the queue is kept: run the same command again to resume",
                   err=True)
        sys.exit(130)
    except SessimError as exc:
        click.echo(f"error: {exc}", err=True)
        if not isinstance(exc, InputError):
            click.echo("the queue is kept: run the same command again to resume", err=True)
        sys.exit(2 if isinstance(exc, InputError) else 1)
    click.echo("done: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
