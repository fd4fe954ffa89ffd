"""The API's dependencies, built once per process in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client

from projections.queries import ReadModels
from services.access import AccessLog
from services.api.rate_limits import RateLimits
from services.auth import KeyStore
from services.database import Database
from services.decisions import DecisionService
from services.experiments import Experiments
from services.people import People
from services.settings import Settings
from services.webhooks import IntegrationStore


@dataclass
class Services:
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
