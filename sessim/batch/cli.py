"""The ``sessim batch`` command: a thin adapter over :func:`sessim.batch.run_batch`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sessim.errors import InputError, SessimError


@click.command()
@click.argument("sweep", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False),
              help="Output folder (default results/batch/<sweep name>).")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: CPUs).")
@click.option("--executor", type=click.Choice(["serial", "processes", "dask"]),
              default="serial", show_default=True)
@click.option("--scheduler", help="Dask scheduler address (default: start a LocalCluster).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def batch(sweep: str, out: str | None, workers: int | None, executor: str,
          scheduler: str | None, quiet: bool) -> None:
    """Run a sweep's points x replications; write per-run results and batch_summary.csv.

    Run again with the same arguments to resume: finished runs are kept.
    Exits 1 if any run failed (see failed/ and runs.csv).

    Example: sessim batch scenarios/sweeps/ip-count-x-volume.yaml --executor processes
    """
    from tqdm import tqdm

    from sessim.batch.run import run_batch
    from sessim.batch.sweep import load_sweep

    if scheduler and executor != "dask":
        click.echo("error: --scheduler needs --executor dask", err=True)
        sys.exit(2)
    bar = tqdm(unit="run", disable=True)

    def start(todo: int, total: int) -> None:
        nonlocal bar
        bar = tqdm(total=todo, unit="run", disable=quiet, file=sys.stderr, desc="batch",
                   postfix=f"{total - todo} of {total} already done")

    def done(output) -> None:
        bar.update(1)
        if output.error is not None:
            bar.set_postfix_str(f"{output.run_id} failed")

    try:
        loaded = load_sweep(sweep)
        folder = Path(out) if out else Path("results") / "batch" / loaded.sweep.name
        report = run_batch(loaded, folder, executor, workers, scheduler,  # type: ignore[arg-type]
                           on_start=start, on_done=done)
    except KeyboardInterrupt:
        bar.close()
        click.echo("interrupted; run the same command again to resume", err=True)
        sys.exit(130)
    except SessimError as exc:
        bar.close()
        click.echo(f"error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, InputError) else 1)
    bar.close()
    click.echo(f"{report.planned} runs: {report.reused} reused, {report.ran} run,"
               f" {len(report.failed)} failed")
    for run_id, error in sorted(report.failed.items()):
        click.echo(f"failed: {run_id}: {error.strip().splitlines()[-1]}", err=True)
    click.echo(f"wrote {folder / 'batch_summary.csv'}")
    if report.failed:
        sys.exit(1)
