"""The deployment files agree with the code: commands, settings, ports and probes that exist,
a Dockerfile that passes hadolint, Kubernetes manifests that validate against the schemas."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from typer.main import get_command

from services.cli import app as cli
from services.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES_VERSION = "1.30"
SETTINGS = {field.alias for field in Settings.model_fields.values() if field.alias}
COMMANDS = set(get_command(cli).commands)  # type: ignore[attr-defined]
PROBE_PATHS = {"/healthz", "/readyz", "/metrics"}


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint comes with the project's lock file"
    result = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_installs_from_a_lock_and_runs_as_a_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)
    assert 'ENTRYPOINT ["wijklab"]' in dockerfile
    lock = (DEPLOY / "requirements.prod.lock").read_text()
    for runtime in ("eventsourcing==", "temporalio==", "fastapi==", "psycopg=="):
        assert runtime in lock
    assert "pytest==" not in lock


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def _wijklab_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: s for name, s in compose["services"].items() if s.get("image") == "wijklab:latest"
    }


def test_compose_runs_the_three_processes_with_settings_that_exist() -> None:
    compose = _compose()
    services = _wijklab_services(compose)
    assert {s["command"][0] for s in services.values()} == {"api", "worker", "projector"}
    for name, service in services.items():
        assert service["command"][0] in COMMANDS, name
        unknown = set(service.get("environment", {})) - SETTINGS
        assert not unknown, f"{name} sets variables the code does not read: {unknown}"
        for secret in service.get("secrets", []):
            assert secret in SETTINGS, f"{name} mounts a secret the code does not read: {secret}"
    replicas = {name: s["deploy"]["replicas"] for name, s in services.items()}
    assert replicas == {"api": 2, "worker": 2, "projector": 2}


def test_compose_ports_and_probes_match_the_code() -> None:
    compose = _compose()
    api = compose["services"]["api"]
    port = int(api["environment"]["WIJKLAB_HTTP_PORT"])
    assert f"127.0.0.1:{port}/readyz" in " ".join(api["healthcheck"]["test"])
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert f"server api:{port}" in nginx
    projector = compose["services"]["projector"]
    metrics = projector["environment"]["WIJKLAB_PROJECTOR_METRICS_PORT"]
    assert f"127.0.0.1:{metrics}/metrics" in " ".join(projector["healthcheck"]["test"])
    for service in compose["services"].values():
        for dependency in service.get("depends_on", {}):
            assert dependency in compose["services"]
    for secret in compose["secrets"]:
        assert any(secret in s.get("secrets", []) for s in compose["services"].values())


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomization(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return loaded


def _resources(folder: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entry in _kustomization(folder)["resources"]:
        target = (folder / entry).resolve()
        found += _resources(target) if target.is_dir() else _documents(target)
    return found


def _merge(base: Any, patch: Any) -> Any:
    """A strategic-merge patch as simple as ours: maps merge, everything else replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in patch.items()}}
    return patch


def _built(folder: Path) -> list[dict[str, Any]]:
    """The manifests a kustomization yields, with its patches applied to their targets."""
    documents = _resources(folder)
    for entry in _kustomization(folder).get("patches", []):
        for patch in _documents(folder / entry["path"]):
            key = (patch["kind"], patch["metadata"]["name"])
            targets = [
                i for i, d in enumerate(documents) if (d["kind"], d["metadata"]["name"]) == key
            ]
            assert targets, f"the patch {entry['path']} has no target {key}"
            documents[targets[0]] = _merge(documents[targets[0]], patch)
    return documents


@pytest.mark.parametrize("folder", ["base", "overlays/example"])
def test_kubernetes_manifests_validate(folder: str) -> None:
    documents = _built(DEPLOY / "k8s" / folder)
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_kubernetes_runs_the_three_processes_with_probes_and_settings_that_exist() -> None:
    base = _resources(DEPLOY / "k8s" / "base")
    kinds = {d["kind"] for d in base}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "ConfigMap",
    } <= kinds
    deployments = {d["metadata"]["name"]: d for d in base if d["kind"] == "Deployment"}
    assert set(deployments) == {"wijklab-api", "wijklab-worker", "wijklab-projector"}
    for deployment in deployments.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"][0] in COMMANDS
        for probe in ("livenessProbe", "readinessProbe"):
            path = container.get(probe, {}).get("httpGet", {}).get("path")
            assert path is None or path in PROBE_PATHS
    api = deployments["wijklab-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    config = next(d for d in base if d["kind"] == "ConfigMap")
    assert set(config["data"]) <= SETTINGS
    hpa = next(d for d in base if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "wijklab-worker"
    secrets = (DEPLOY / "k8s" / "overlays" / "example" / "secrets.env.example").read_text()
    keys = {
        line.split("=", 1)[0]
        for line in secrets.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert keys <= SETTINGS
