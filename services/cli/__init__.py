"""The `wijklab` command line: its groups in `apps`, the commands in one module per kind."""

from __future__ import annotations

from services.cli import (
    admin,
    archive,
    identity,
    invitations,
    operations,
    processes,
    register,
    report,
)
from services.cli.apps import app

__all__ = [
    "admin",
    "app",
    "archive",
    "identity",
    "invitations",
    "operations",
    "processes",
    "register",
    "report",
]

if __name__ == "__main__":  # pragma: no cover
    app()
