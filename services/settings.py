"""Typed settings from the environment: one place that says what can be configured."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.values import OVERDUE_GRACE_DAYS

# Events per transaction when the projector catches up or a rebuild runs.
DEFAULT_BATCH_SIZE = 5000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    # Where the event store and read models live. Unset: an embedded PostgreSQL started from
    # the installed wheel, with its data under `data_dir`.
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    database_schema: str = Field(default="wijklab", alias="WIJKLAB_DATABASE_SCHEMA")
    data_dir: Path = Field(default=Path(".wijklab"), alias="WIJKLAB_DATA_DIR")

    temporal_address: str | None = Field(default=None, alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    temporal_task_queue: str = Field(default="wijklab", alias="TEMPORAL_TASK_QUEUE")
    # Ports of the Temporal dev server that `wijklab dev` starts when TEMPORAL_ADDRESS is unset.
    temporal_dev_port: int = Field(default=7233, ge=1, le=65535, alias="WIJKLAB_TEMPORAL_PORT")
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535, alias="WIJKLAB_TEMPORAL_UI_PORT")
    projector_batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE, ge=1, le=100_000, alias="WIJKLAB_PROJECTOR_BATCH_SIZE"
    )
    # Processes that fold a rebuild of 20,000 events or more, each the streams of one
    # partition; unset: one per core but one, at most four (`projections.rebuild`).
    rebuild_processes: int | None = Field(
        default=None, ge=1, le=64, alias="WIJKLAB_REBUILD_PROCESSES"
    )
    # Where `wijklab projector` serves its Prometheus metrics (position, events applied);
    # unset: not served (the API's /metrics has the lag either way).
    projector_metrics_port: int | None = Field(
        default=None, ge=1, le=65535, alias="WIJKLAB_PROJECTOR_METRICS_PORT"
    )
    worker_activity_threads: int = Field(default=16, ge=1, le=256, alias="WIJKLAB_WORKER_THREADS")
    # Workflows a worker keeps in memory between their tasks; more are replayed from their
    # history when next needed. What bounds a worker's memory with many open experiments: at
    # 500, 1,200 open workflows took 259 MB where 1,000 took 331; at national size, with most
    # decisions replaying their workflow's short history, a decision's p95 stayed 73 ms.
    workflow_cache: int = Field(default=500, ge=0, le=100_000, alias="WIJKLAB_WORKFLOW_CACHE")
    # Whether a worker runs the workflows in Temporal's sandbox, as every test does: off, a
    # decision costs the worker 2.6 ms less CPU (`workflows.worker`).
    workflow_sandbox: bool = Field(default=False, alias="WIJKLAB_WORKFLOW_SANDBOX")

    http_host: str = Field(default="127.0.0.1", alias="WIJKLAB_HTTP_HOST")
    http_port: int = Field(default=8000, ge=1, le=65535, alias="WIJKLAB_HTTP_PORT")

    # Days after an act period's end before a stage left open is recorded as overdue.
    overdue_grace_days: int = Field(
        default=OVERDUE_GRACE_DAYS, ge=1, le=365, alias="WIJKLAB_OVERDUE_GRACE_DAYS"
    )

    # 32 bytes in base64 that encrypt webhook secrets at rest; development keeps one in
    # the data directory when unset.
    secret_key: str | None = Field(default=None, alias="WIJKLAB_SECRET_KEY")
    # Rate limits, per API process (see docs/operations.md): failed sign-ins per client
    # address, and deliveries per webhook integration. The `limits` notation ("30/minute").
    auth_failure_limit: str = Field(default="20/minute", alias="WIJKLAB_AUTH_FAILURE_LIMIT")
    webhook_limit: str = Field(default="50/second", alias="WIJKLAB_WEBHOOK_LIMIT")
    # Sign-in links mailed to one address, so that nobody's inbox can be flooded.
    sign_in_mail_limit: str = Field(default="5/hour", alias="WIJKLAB_SIGN_IN_MAIL_LIMIT")
    # Open data (the lessons commons, without sign-in), per client address.
    open_data_limit: str = Field(default="60/minute", alias="WIJKLAB_OPEN_DATA_LIMIT")
    # Proxies whose X-Forwarded-For names the client (comma-separated addresses, or *).
    forwarded_allow_ips: str = Field(default="127.0.0.1", alias="WIJKLAB_FORWARDED_ALLOW_IPS")
    # Receivers of outbound webhooks that may be on a private or loopback address.
    outbound_allow_hosts: str = Field(default="", alias="WIJKLAB_OUTBOUND_ALLOW_HOSTS")
    # Mail (invitations, sign-in links): an SMTP server, and who mail comes from. Without a
    # server, development keeps mail at /dev/mail; production sends none (`delivered: none`).
    smtp_url: str | None = Field(default=None, alias="WIJKLAB_SMTP_URL")
    # The certificate authority of a mail server whose certificate is the municipality's own.
    smtp_ca_file: Path | None = Field(default=None, alias="WIJKLAB_SMTP_CA_FILE")
    mail_from: str = Field(default="wijklab <noreply@wijklab.localhost>", alias="WIJKLAB_MAIL_FROM")
    # Where people reach the pages: links in mail and letters start with it.
    public_url: str | None = Field(default=None, alias="WIJKLAB_PUBLIC_URL")
    # The municipality of the ready-made tokens `wijklab dev` prints.
    dev_municipality: str = Field(default="demo", alias="WIJKLAB_DEV_MUNICIPALITY")

    environment: Literal["development", "production"] = Field(
        default="development", alias="WIJKLAB_ENV"
    )
    # Signing in to the pages by pasting an API key: a development convenience, off in
    # production unless set.
    pages_accept_keys_setting: bool | None = Field(default=None, alias="WIJKLAB_PAGES_ACCEPT_KEYS")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", alias="WIJKLAB_LOG_FORMAT"
    )
    log_level: str = Field(default="INFO", alias="WIJKLAB_LOG_LEVEL")

    @model_validator(mode="after")
    def _production_needs_real_servers(self) -> Settings:
        if self.environment == "production" and not (
            self.database_url and self.temporal_address and self.secret_key
        ):
            raise ValueError(
                "WIJKLAB_ENV=production needs DATABASE_URL, TEMPORAL_ADDRESS and "
                "WIJKLAB_SECRET_KEY: the embedded servers and the generated key are for "
                "a single machine"
            )
        if not self.database_schema.isidentifier():
            raise ValueError("WIJKLAB_DATABASE_SCHEMA must be a plain SQL identifier")
        return self

    @property
    def pages_accept_keys(self) -> bool:
        if self.pages_accept_keys_setting is not None:
            return self.pages_accept_keys_setting
        return self.environment == "development"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


# Where orchestrators mount secrets as files, one per setting (e.g. /run/secrets/DATABASE_URL).
SECRETS_DIR = "/run/secrets"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    secrets = Path(os.environ.get("WIJKLAB_SECRETS_DIR", SECRETS_DIR))
    if secrets.is_dir():
        return Settings(_secrets_dir=secrets)  # type: ignore[call-arg]
    return Settings()
