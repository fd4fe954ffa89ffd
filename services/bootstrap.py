"""The composition root: every process's pools, stores and clients are made here, and only here.

Each entry point (`wijklab api`, `worker`, `projector`, the admin commands, `wijklab dev`)
asks for what its role needs: `runtime` for settings, logging, the database and the event
store; `prepare_stores` for the tables' stores; `api_services` for the API's container;
`worker_for`, `run_read_models` and `rebuild_read_models` for the worker and the projector.

Longer than 200 lines, and whole on purpose: there is one composition root, so that what a
process is made of is read in one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg
import structlog
from fastapi.concurrency import run_in_threadpool
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from temporalio.client import Client
from temporalio.worker import Worker

from projections.catch_up import ProgressCallback
from projections.outbox import run_outbox
from projections.queries import ReadModels
from projections.rebuild import RebuildReport, rebuild
from projections.runner import run_projector
from services import tracing
from services.app.archiving import ExportReport, export_archive
from services.app.decisions import DecisionService
from services.app.evidence import Evidence
from services.app.invitations import Inviting
from services.app.ports import AccessEnder
from services.app.programmes import ProgrammeService
from services.app.reminding import Reminding, UnsubscribeLinks
from services.app.sealing import Sealing
from services.app.staff_sign_in import StaffSignIn
from services.app.subscribing import Subscribing
from services.infra import cbs_csv
from services.infra.archive_reader import ArchiveReader
from services.infra.cbs_csv import RegisterFile
from services.infra.destinations import Destinations, parse_allow_list
from services.infra.event_store import Experiments
from services.infra.mail import DevOutbox, MailSender, SmtpSender
from services.infra.migrations import Migration, available, migrate
from services.infra.postgres import POOL_WAIT_SECONDS, Connect, Database, open_database
from services.infra.programme_store import Programmes
from services.infra.rate_limits import RateLimits
from services.infra.secret_box import SecretBox
from services.infra.temporal import connect
from services.logging import configure_logging
from services.settings import Settings, get_settings
from services.stores.access_records import AccessLog
from services.stores.api_keys import KeyStore
from services.stores.deliveries import DeliveryLog
from services.stores.evidence import EvidenceStore
from services.stores.identity_providers import IdentityProviders
from services.stores.integrations import IntegrationStore
from services.stores.invitations import InvitationStore
from services.stores.neighbourhood_register import NeighbourhoodRegister
from services.stores.people import People
from services.stores.reminders import MailPreferences, ReminderLog
from services.stores.sessions import SessionStore
from services.stores.sign_in_links import SignInLinks
from services.stores.subscriptions import SubscriptionStore
from workflows.client import ExperimentWorkflows
from workflows.delivery_activities import DeliveryActivities, TemporalDispatch
from workflows.programme_client import ProgrammeWorkflows
from workflows.reconcile import ReconcileReport, reconcile, reconcile_programmes
from workflows.reminder_activities import ReminderActivities, TemporalReminders
from workflows.worker import build_worker, ensure_search_attributes

# Connections an API process keeps for its stores, and for its read-model queries.
STORE_POOL_SIZE = 8
READ_POOL_SIZE = 8
# Connections a worker process keeps for the stores its activities and its outbox use: a
# delivery or a reminder reads and writes several rows, and a connection made for each would
# cost PostgreSQL a new backend every time.
WORKER_POOL_SIZE = 8
# How long a process waits for Temporal to come up on start.
TEMPORAL_WAIT_SECONDS = 30
# How often an API process settles claims nobody settled (see `_settle_stale_claims`).
CLAIM_SWEEP_SECONDS = 600

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Runtime:
    """What every wijklab process has: its settings, the database, the event store."""

    settings: Settings
    database: Database
    experiments: Experiments


@dataclass(frozen=True)
class Stores:
    keys: KeyStore
    integrations: IntegrationStore
    people: People
    access: AccessLog
    sessions: SessionStore
    invitations: InvitationStore
    sign_in_links: SignInLinks
    identity_providers: IdentityProviders
    subscriptions: SubscriptionStore
    deliveries: DeliveryLog
    reminders: ReminderLog
    mail_preferences: MailPreferences
    evidence: EvidenceStore
    register: NeighbourhoodRegister
    # Binds the pages' form tokens to sessions (`services.ui.form_tokens`).
    form_key: bytes
    # Makes and checks the unsubscribe links in reminders.
    unsubscribe_links: UnsubscribeLinks
    # How mail goes out: SMTP, the development outbox, or not at all (production without a
    # mail server: invitations are then printed as letters).
    mail: MailSender | None
    dev_outbox: DevOutbox | None


@dataclass
class Services:
    """The API's dependencies, built once per process in the app's lifespan."""

    settings: Settings
    database: Database
    experiments: Experiments
    read_models: ReadModels
    keys: KeyStore
    integrations: IntegrationStore
    people: People
    access: AccessLog
    rate_limits: RateLimits
    temporal: Client
    decisions: DecisionService
    sessions: SessionStore
    invitations: InvitationStore
    sign_in_links: SignInLinks
    identity_providers: IdentityProviders
    subscriptions: SubscriptionStore
    deliveries: DeliveryLog
    inviting: Inviting
    subscribing: Subscribing
    staff_sign_in: StaffSignIn
    reminding: Reminding
    mail_preferences: MailPreferences
    evidence: Evidence
    register: NeighbourhoodRegister
    programmes: ProgrammeService
    form_key: bytes
    mail: MailSender | None
    dev_outbox: DevOutbox | None


@contextlib.contextmanager
def runtime(settings: Settings | None = None, process: str = "wijklab") -> Iterator[Runtime]:
    """Everything a wijklab process needs, closed on exit. The schema is migrated first, so
    that processes start in any order against an empty database. `process` names it in
    traces (which are on when an OTLP endpoint is set)."""
    settings = settings or get_settings()
    configure_logging(settings.log_format, settings.log_level)
    tracing.configure(process)
    with open_database(settings) as database:
        migrate(database)
        experiments = Experiments.open(database)
        try:
            yield Runtime(settings=settings, database=database, experiments=experiments)
        finally:
            experiments.close()
            tracing.disable()  # what is traced is sent before the process ends


def migrate_schema(settings: Settings | None = None) -> tuple[list[Migration], int]:
    """Apply the migrations this database lacks; what was applied, and the version now."""
    settings = settings or get_settings()
    configure_logging(settings.log_format, settings.log_level)
    with open_database(settings) as database:
        return migrate(database), len(available())


def prepare_stores(rt: Runtime, connect: Connect | None = None) -> Stores:
    """The stores of wijklab's own tables (their schema is `runtime`'s to migrate);
    `connect` lends connections (a pool's), else each use opens its own."""
    box = SecretBox.from_setting(rt.settings.secret_key, rt.settings.data_dir)
    people = People(rt.database, box.derive("people-lookup"), connect)
    outbox = (
        DevOutbox(rt.database, rt.settings.mail_from, connect)
        if rt.settings.smtp_url is None and rt.settings.environment == "development"
        else None
    )
    mail: MailSender | None = outbox
    if rt.settings.smtp_url:
        ca = rt.settings.smtp_ca_file
        tls = ssl.create_default_context(cafile=str(ca)) if ca else None
        mail = SmtpSender(rt.settings.smtp_url, rt.settings.mail_from, tls=tls)
    return Stores(
        keys=KeyStore(rt.database, people, connect),
        integrations=IntegrationStore(rt.database, box, connect),
        people=people,
        access=AccessLog(rt.database, connect),
        sessions=SessionStore(rt.database, people, connect),
        invitations=InvitationStore(rt.database, box.derive("contact-lookup"), connect),
        sign_in_links=SignInLinks(rt.database, connect),
        identity_providers=IdentityProviders(rt.database, box, box.derive("oidc-subject"), connect),
        subscriptions=SubscriptionStore(rt.database, box, connect),
        deliveries=DeliveryLog(rt.database, connect),
        reminders=ReminderLog(rt.database, connect),
        mail_preferences=MailPreferences(rt.database, connect),
        evidence=EvidenceStore(rt.database, people.key_of, connect),
        register=NeighbourhoodRegister(rt.database, connect),
        form_key=box.derive("page-forms"),
        unsubscribe_links=UnsubscribeLinks(box.derive("unsubscribe-links")),
        mail=mail,
        dev_outbox=outbox,
    )


class _WaysIn(Protocol):
    @property
    def sessions(self) -> SessionStore: ...
    @property
    def invitations(self) -> InvitationStore: ...
    @property
    def sign_in_links(self) -> SignInLinks: ...
    @property
    def identity_providers(self) -> IdentityProviders: ...


def ways_in(holder: _WaysIn, *, erasing: bool = False) -> list[AccessEnder]:
    """Every way a person gets in, to end when their access is revoked; erasure also drops
    the link from their identity provider's subject to them."""
    found: list[AccessEnder] = [holder.sessions, holder.invitations, holder.sign_in_links]
    return [*found, holder.identity_providers] if erasing else found


def inviting_for(rt: Runtime, stores: Stores) -> Inviting:
    """Inviting people, with the record to check an experiment an invitation is for."""

    def title_of(experiment_id: UUID, municipality: str) -> str | None:
        found = rt.experiments.find(experiment_id)
        if found is None or found.state.municipality != municipality:
            return None
        return found.state.title

    return Inviting(stores.invitations, stores.people, stores.mail, title_of, rt.settings.base_url)


def evidence_for(rt: Runtime, stores: Stores) -> Evidence:
    """Keeping evidence, with the record to tell which municipality an experiment is in."""

    def municipality_of(experiment_id: UUID) -> str | None:
        found = rt.experiments.find(experiment_id)
        return None if found is None else found.state.municipality

    return Evidence(stores.evidence, stores.access, municipality_of)


def reminding_for(rt: Runtime, stores: Stores) -> Reminding:
    """Mailing reminders and leaving them, to the addresses the people store keeps."""
    return Reminding(
        stores.reminders,
        stores.mail_preferences,
        stores.people,
        stores.mail,
        stores.unsubscribe_links,
        rt.settings.base_url,
    )


def destinations_for(settings: Settings) -> Destinations:
    """Where outbound requests may go: public addresses, and the allowed hosts."""
    return Destinations(parse_allow_list(settings.outbound_allow_hosts))


def subscribing_for(rt: Runtime, stores: Stores) -> Subscribing:
    """Subscribing receivers, with the record to check an experiment a subscription is for."""

    def experiment_in(experiment_id: UUID, municipality: str) -> bool:
        found = rt.experiments.find(experiment_id)
        return found is not None and found.state.municipality == municipality

    return Subscribing(
        stores.subscriptions,
        destinations_for(rt.settings),
        experiment_in,
        rt.experiments.max_position,
    )


def _pool(database: Database, size: int, **kwargs: Any) -> ConnectionPool[Any]:
    return ConnectionPool(
        database.conninfo,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True, **kwargs},
        open=True,
        timeout=POOL_WAIT_SECONDS,
    )


@contextlib.contextmanager
def read_models_for(database: Database) -> Iterator[ReadModels]:
    """Queries over the served read models, with a pool of their own."""
    pool: ConnectionPool[psycopg.Connection[dict[str, Any]]] = _pool(
        database, READ_POOL_SIZE, row_factory=dict_row
    )
    try:
        yield ReadModels(pool, database.schema)
    finally:
        pool.close()


def experiment_workflows(rt: Runtime, client: Client) -> ExperimentWorkflows:
    return ExperimentWorkflows(
        client,
        task_queue=rt.settings.temporal_task_queue,
        overdue_grace_days=rt.settings.overdue_grace_days,
    )


def api_services(
    rt: Runtime, address: str | None = None
) -> Callable[[], AbstractAsyncContextManager[Services]]:
    """The API's container, entered for the app's lifetime (see `services.web`)."""

    @contextlib.asynccontextmanager
    async def build() -> AsyncIterator[Services]:
        pool: ConnectionPool[psycopg.Connection[Any]] = _pool(rt.database, STORE_POOL_SIZE)
        try:
            stores = await run_in_threadpool(prepare_stores, rt, pool.connection)
            client = await connect(rt.settings, address=address, wait=TEMPORAL_WAIT_SECONDS)
            sealing = Sealing(stores.people)
            decisions = DecisionService(
                rt.experiments,
                experiment_workflows(rt, client),
                sealing,
                evidence_of=lambda eid: {str(f.id) for f in stores.evidence.of_experiment(eid)},
                residents_invited=stores.invitations.residents_invited,
                register_knows=stores.register.knows,
                programme_of=Programmes(rt.experiments).state_of,
            )
            sweeping = asyncio.create_task(_settle_stale_claims(decisions))
            try:
                with read_models_for(rt.database) as read_models:
                    yield Services(
                        settings=rt.settings,
                        database=rt.database,
                        experiments=rt.experiments,
                        read_models=read_models,
                        keys=stores.keys,
                        integrations=stores.integrations,
                        people=stores.people,
                        access=stores.access,
                        rate_limits=RateLimits(rt.settings),
                        temporal=client,
                        decisions=decisions,
                        sessions=stores.sessions,
                        invitations=stores.invitations,
                        sign_in_links=stores.sign_in_links,
                        identity_providers=stores.identity_providers,
                        subscriptions=stores.subscriptions,
                        deliveries=stores.deliveries,
                        inviting=inviting_for(rt, stores),
                        subscribing=subscribing_for(rt, stores),
                        staff_sign_in=StaffSignIn(
                            stores.identity_providers, stores.people, rt.settings.base_url
                        ),
                        reminding=reminding_for(rt, stores),
                        mail_preferences=stores.mail_preferences,
                        evidence=evidence_for(rt, stores),
                        register=stores.register,
                        programmes=ProgrammeService(
                            ProgrammeWorkflows(client, task_queue=rt.settings.temporal_task_queue),
                            Programmes(rt.experiments),
                            stores.register.knows,
                            sealing.seal_actor,
                        ),
                        form_key=stores.form_key,
                        mail=stores.mail,
                        dev_outbox=stores.dev_outbox,
                    )
            finally:
                sweeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeping
        finally:
            pool.close()

    return build


async def _settle_stale_claims(decisions: DecisionService) -> None:
    """Now and then, settle the people named by decisions whose callers never heard the
    answer (a timeout, a crash), by what the record holds: nobody is kept for a decision
    that was not taken. Several API processes may do this at once; settling is idempotent."""
    while True:
        try:
            settled = await asyncio.to_thread(decisions.settle_stale_claims)
            if settled:
                log.info("stale_claims_settled", count=settled)
        except Exception:  # the next round tries again; the API keeps serving
            log.exception("stale_claims_not_settled")
        await asyncio.sleep(CLAIM_SWEEP_SECONDS)


@contextlib.contextmanager
def worker_stores(rt: Runtime) -> Iterator[Stores]:
    """The stores of a worker process (its activities' and its outbox's), on a pool of
    connections kept for the process's life."""
    pool: ConnectionPool[psycopg.Connection[Any]] = _pool(rt.database, WORKER_POOL_SIZE)
    try:
        yield prepare_stores(rt, pool.connection)
    finally:
        pool.close()


async def worker_for(
    rt: Runtime, executor: ThreadPoolExecutor, address: str | None, stores: Stores | None = None
) -> Worker:
    """A worker for the experiments' workflows and activities on this process's executor."""
    client = await connect(rt.settings, address=address, wait=TEMPORAL_WAIT_SECONDS)
    await ensure_search_attributes(client)
    return build_worker(
        client,
        rt.experiments,
        task_queue=rt.settings.temporal_task_queue,
        executor=executor,
        threads=rt.settings.worker_activity_threads,
        cached_workflows=rt.settings.workflow_cache,
        sandboxed=rt.settings.workflow_sandbox,
        deliveries=delivery_activities(rt, stores),
        reminders=reminder_activities(rt, stores),
    )


def reminder_activities(rt: Runtime, stores: Stores | None = None) -> ReminderActivities:
    return ReminderActivities(reminding_for(rt, stores or prepare_stores(rt)))


def delivery_activities(rt: Runtime, stores: Stores | None = None) -> DeliveryActivities:
    stores = stores or prepare_stores(rt)
    return DeliveryActivities(
        stores.deliveries, stores.subscriptions, destinations_for(rt.settings)
    )


def start_outbox(
    rt: Runtime, client: Client, stop: threading.Event, stores: Stores | None = None
) -> threading.Thread:
    """The outbox in a thread of this (worker) process: deliveries and reminders enqueued
    exactly once and handed to Temporal on this event loop (one outbox is active per schema)."""
    stores = stores or prepare_stores(rt)
    loop = asyncio.get_running_loop()
    queue = rt.settings.temporal_task_queue
    dispatch = TemporalDispatch(client, loop, stores.deliveries, queue)
    remind = TemporalReminders(client, loop, stores.reminders, queue)
    thread = threading.Thread(
        target=run_outbox,
        args=(rt.database, dispatch, stop, remind),
        name="outbox",
        daemon=True,
    )
    thread.start()
    return thread


def run_read_models(
    rt: Runtime, stop: threading.Event, progress: ProgressCallback | None = None
) -> None:
    """The projector: keep the read models up to date until `stop` is set."""
    run_projector(
        rt.database,
        lambda: Experiments.open(rt.database),
        stop,
        progress=progress,
        batch_size=rt.settings.projector_batch_size,
        rebuild_processes=rt.settings.rebuild_processes,
    )


def rebuild_read_models(rt: Runtime, progress: ProgressCallback | None = None) -> RebuildReport:
    return rebuild(
        rt.database,
        lambda: Experiments.open(rt.database),
        progress=progress,
        batch_size=rt.settings.projector_batch_size,
        processes=rt.settings.rebuild_processes,
    )


def import_register(
    rt: Runtime, data: bytes, *, municipality: str | None = None, year: int | None = None
) -> tuple[RegisterFile, int]:
    """Read a CBS file (see `services.infra.cbs_csv`) and keep it whole in the register;
    the file read, and how many neighbourhoods were kept."""
    found = cbs_csv.read(data, year=year, municipality=municipality)
    return found, NeighbourhoodRegister(rt.database).keep(found.neighbourhoods, found.year)


def export_municipality(
    rt: Runtime,
    municipality: str,
    out: Path,
    until: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """A municipality's archive package (see `services.app.archiving`), recorded as read by
    the operator who runs it."""
    return export_archive(
        ArchiveReader(rt.experiments),
        AccessLog(rt.database),
        municipality=municipality,
        out=out,
        until=until,
        progress=progress,
        operator=getpass.getuser(),
    )


async def reconcile_workflows(
    rt: Runtime, *, wait: float = 10
) -> tuple[ReconcileReport, ReconcileReport]:
    """Experiments' and programmes' workflows back where the record says they run."""
    client = await connect(rt.settings, wait=wait)
    experiments = await reconcile(experiment_workflows(rt, client), rt.experiments)
    programmes = await reconcile_programmes(
        ProgrammeWorkflows(client, task_queue=rt.settings.temporal_task_queue),
        Programmes(rt.experiments),
    )
    return experiments, programmes
