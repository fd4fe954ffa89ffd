"""The `wijklab` command line."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog
import typer

from services.bootstrap import runtime

app = typer.Typer(
    help="wijklab: neighbourhood experiments as learning cycles.",
    no_args_is_help=True,
    add_completion=False,
)
log = structlog.get_logger("wijklab")


@app.callback()
def main() -> None:
    """wijklab: neighbourhood experiments as learning cycles."""


def _wait_for_stop_signal() -> None:
    """Block until Ctrl-C or SIGTERM, so that cleanup runs either way."""
    stop = threading.Event()

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    stop.wait()


@app.command()
def dev() -> None:
    """Run wijklab on one machine with the embedded default, until Ctrl-C."""
    with runtime() as rt:
        settings = rt.settings
        where = (
            f"embedded PostgreSQL, data in {settings.data_dir.resolve()}"
            if settings.uses_embedded_database
            else "PostgreSQL from DATABASE_URL"
        )
        typer.echo(f"wijklab dev: event store ready ({where})")
        typer.echo(
            f"  event store: schema {rt.database.schema}, position {rt.experiments.max_position()}"
        )
        typer.echo("  press Ctrl-C to stop")
        _wait_for_stop_signal()
    typer.echo("wijklab dev: stopped")


if __name__ == "__main__":  # pragma: no cover
    app()
