"""Settings: production refuses the single-machine defaults; secrets may come from files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services import settings as settings_module
from services.settings import Settings


def test_production_needs_real_servers_and_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TEMPORAL_ADDRESS", "WIJKLAB_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="production needs"):
        Settings(WIJKLAB_ENV="production")
    ready = Settings(
        WIJKLAB_ENV="production",
        DATABASE_URL="postgresql://wijklab@db/wijklab",
        TEMPORAL_ADDRESS="temporal:7233",
        WIJKLAB_SECRET_KEY="a2V5",
    )
    assert not ready.uses_embedded_database


def test_the_schema_must_be_a_plain_identifier() -> None:
    with pytest.raises(ValidationError):
        Settings(WIJKLAB_DATABASE_SCHEMA="wijklab; DROP SCHEMA public")


def test_secrets_are_read_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "DATABASE_URL").write_text("postgresql://wijklab@db/wijklab")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("WIJKLAB_SECRETS_DIR", str(tmp_path))
    settings_module.get_settings.cache_clear()
    try:
        assert settings_module.get_settings().database_url == "postgresql://wijklab@db/wijklab"
    finally:
        settings_module.get_settings.cache_clear()
