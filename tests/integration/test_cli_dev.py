"""`wijklab dev` starts the embedded default for real and stops it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from services.bootstrap import runtime
from services.settings import Settings
from tests.builders import start


def _wijklab() -> str:
    found = shutil.which("wijklab", path=str(Path(sys.executable).parent))
    assert found, "the wijklab console script is installed with the project"
    return found


def _postgres_running_for(pgdata: Path) -> bool:
    for proc in psutil.process_iter(attrs=("name", "cmdline")):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            return True
    return False


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_dev_runs_until_stopped_and_shares_its_data(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    data_dir = tmp_path / "data"
    env = {**os.environ, "WIJKLAB_DATA_DIR": str(data_dir), "WIJKLAB_LOG_FORMAT": "json"}
    env.pop("DATABASE_URL", None)
    dev = subprocess.Popen(
        [_wijklab(), "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert dev.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = dev.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        assert any("event store ready" in line for line in lines), lines

        # Another process on the same data dir finds the same server and data.
        settings = Settings(WIJKLAB_DATA_DIR=data_dir, WIJKLAB_LOG_FORMAT="json")
        with runtime(settings) as rt:
            started = rt.experiments.start(start(), experiment_id=uuid.uuid4())
        with runtime(settings) as rt:
            assert rt.experiments.max_position() == started.position
        assert _postgres_running_for(data_dir.resolve() / "postgres"), "dev still holds the server"

        dev.send_signal(stop_with)
        out, _ = dev.communicate(timeout=60)
        assert dev.returncode == 0
        assert "stopped" in out
        assert not _postgres_running_for(data_dir.resolve() / "postgres")
    finally:
        if dev.poll() is None:
            dev.kill()
