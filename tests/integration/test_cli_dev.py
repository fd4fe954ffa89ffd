"""`wijklab dev` starts the embedded default for real, shares it, and stops it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest

from services.bootstrap import read_models_for, runtime
from services.infra.temporal import connect
from services.settings import Settings
from tests.builders import one_cycle, start
from workflows.client import ExperimentWorkflows


def _binary(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is installed with the project"
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _running(name: str, marker: Path) -> bool:
    for proc in psutil.process_iter(attrs=("name", "cmdline")):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["name"] == name and str(marker) in cmdline:
            return True
    return False


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_dev_runs_the_stack_until_stopped(tmp_path: Path, stop_with: signal.Signals) -> None:
    data_dir = (tmp_path / "data").resolve()
    env = {
        **os.environ,
        "WIJKLAB_DATA_DIR": str(data_dir),
        "WIJKLAB_LOG_FORMAT": "json",
        "WIJKLAB_TEMPORAL_PORT": str(_free_port()),
        "WIJKLAB_TEMPORAL_UI_PORT": str(_free_port()),
        "WIJKLAB_HTTP_PORT": str(_free_port()),
    }
    for variable in ("DATABASE_URL", "TEMPORAL_ADDRESS"):
        env.pop(variable, None)
    dev = subprocess.Popen(
        [_binary("wijklab"), "dev"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert dev.stdout is not None
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = dev.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        assert any("Temporal UI" in line for line in lines), lines

        settings = Settings(WIJKLAB_DATA_DIR=data_dir, WIJKLAB_LOG_FORMAT="json")
        experiment_id = uuid.uuid4()

        async def drive() -> int:
            client = await connect(settings, wait=30)
            workflows = ExperimentWorkflows(client, task_queue="wijklab", overdue_grace_days=14)
            await workflows.start(experiment_id, start())
            answers = [await workflows.decide(experiment_id, d) for d in one_cycle(rounds=True)[:4]]
            return answers[-1].position

        position = asyncio.run(drive())

        # Requests with good and bad keys, and a sign-in: none of the keys may reach a log.
        tokens = re.findall(r"wl_[A-Za-z0-9_-]{20,}", "".join(lines))
        assert len(tokens) >= 4, lines
        base = f"http://127.0.0.1:{env['WIJKLAB_HTTP_PORT']}"
        wrong = tokens[0][:-4] + "AAAA"
        with httpx.Client(base_url=base, timeout=10) as http:
            for token in tokens:
                http.get("/v1/experiments", headers={"Authorization": f"Bearer {token}"})
            refused = http.get("/v1/experiments", headers={"Authorization": f"Bearer {wrong}"})
            assert refused.status_code == 401
            form = http.get("/sign-in")
            http.post(
                "/sign-in",
                data={"token": tokens[0], "csrf": form.cookies.get("wijklab_csrf", "")},
            )
            # A one-time sign-in link per role; the resident's opens a session, once.
            links = dict(re.findall(r"^\s+(\w+)\s+(http://\S+/invite/\S+)$", "".join(lines), re.M))
            assert set(links) >= {"programme_manager", "resident", "partner", "evaluator"}, lines
            http.cookies.clear()
            shown = http.get(links["resident"])
            assert shown.status_code == 200
            csrf = re.search(r'name="csrf" value="([^"]+)"', shown.text)
            assert csrf
            accepted = http.post(
                links["resident"], data={"csrf": csrf.group(1)}, follow_redirects=True
            )
            assert "Bewoner (voorbeeld)" in accepted.text, accepted.text[:300]
            assert http.get(links["resident"]).status_code == 410

        # Other processes on the same data dir find the same servers and data, and the
        # projector that dev runs has brought the read models up to date.
        with runtime(settings) as rt:
            assert rt.experiments.experiment(experiment_id).stage.value == "act"
            closing = contextlib.ExitStack()
            read_models = closing.enter_context(read_models_for(rt.database))
            try:
                read_models.wait_for(position, timeout=30)
                shown = read_models.experiment(experiment_id, "utrecht")
                assert shown is not None
                assert shown["stage"] == "act"
            finally:
                closing.close()
        reconcile = subprocess.run(
            [_binary("wijklab"), "workflows", "reconcile"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert reconcile.returncode == 0, reconcile.stderr
        assert "running 1, restarted 0" in reconcile.stdout
        listed = subprocess.run(
            [
                _binary("temporal"),
                "workflow",
                "list",
                "--address",
                (data_dir / "temporal-address").read_text(),
                "--query",
                "WijklabStage = 'act' AND WijklabMunicipality = 'utrecht'",
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert listed.returncode == 0, listed.stderr
        assert f"experiment-{experiment_id}" in listed.stdout
        assert json.loads(listed.stdout or "[]")

        dev.send_signal(stop_with)
        out, err = dev.communicate(timeout=60)
        assert dev.returncode == 0, err
        assert "stopped" in out
        assert '"event": "request"' in err, "the request log lines are there to check"
        codes = [link.rsplit("/", 1)[1] for link in links.values()]
        for secret in (*tokens, wrong, *codes):
            assert secret not in err, "an API key reached the logs"
        assert not _running("postgres", data_dir / "postgres")
        assert not _running("temporal", data_dir)
        assert not (data_dir / "temporal-address").exists()
    finally:
        if dev.poll() is None:
            dev.kill()
