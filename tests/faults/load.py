"""Concurrent clients that behave as real ones: every decision carries an Idempotency-Key, a
failed request is sent again with the same key, and a client gives up only after a while."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from tests.faults.stack import FaultStack, new_key

NEIGHBOURHOOD = {"code": "WK034401", "name": "Overvecht", "kind": "wijk"}
RETRYABLE = {429, 502, 503, 504}


@dataclass
class Outcome:
    attempted: set[str] = field(default_factory=set)
    acknowledged: set[str] = field(default_factory=set)
    gave_up: set[str] = field(default_factory=set)
    starts: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    retry_after_missing: int = 0

    def report(self, name: str, stored: Counter[str]) -> dict[str, int]:
        lost = len([k for k in self.acknowledged if stored[k] != 1])
        doubled = len([k for k, n in stored.items() if n > 1])
        figures = {
            "attempted": len(self.attempted),
            "acknowledged": len(self.acknowledged),
            "stored": sum(stored[k] for k in self.attempted),
            "lost": lost,
            "doubled": doubled,
            "gave_up": len(self.gave_up),
        }
        codes = ", ".join(f"{s}x{n}" for s, n in sorted(self.statuses.items()))
        print(f"\n{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()) + f" [{codes}]")
        return figures


class Client:
    def __init__(self, stack: FaultStack, outcome: Outcome, *, give_up_after: float = 90) -> None:
        self.stack = stack
        self.outcome = outcome
        self.give_up_after = give_up_after
        self._turn = itertools.count()

    async def send(
        self,
        http: httpx.AsyncClient,
        path: str,
        body: dict[str, object],
        *,
        who: str = "pm",
        key: str | None = None,
        count: bool = True,
    ) -> httpx.Response | None:
        """POST until a final answer (2xx or 4xx other than 429); None if given up."""
        key = key or new_key()
        if count:
            self.outcome.attempted.add(key)
        headers = {
            "Authorization": f"Bearer {self.stack.tokens[who]}",
            "Idempotency-Key": key,
        }
        deadline = time.monotonic() + self.give_up_after
        delay = 0.1
        while time.monotonic() < deadline:
            url = self.stack.urls[next(self._turn) % len(self.stack.urls)]
            try:
                response = await http.post(f"{url}{path}", json=body, headers=headers, timeout=45)
            except httpx.HTTPError as error:
                self.outcome.errors[type(error).__name__] += 1
            else:
                self.outcome.statuses[response.status_code] += 1
                if response.status_code not in RETRYABLE and response.status_code < 500:
                    if count and response.status_code < 300:
                        self.outcome.acknowledged.add(key)
                    return response
                if response.status_code == 503 and "retry-after" not in response.headers:
                    self.outcome.retry_after_missing += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        if count:
            self.outcome.gave_up.add(key)
        return None

    async def start_experiments(self, http: httpx.AsyncClient, n: int) -> list[str]:
        ids = []
        for i in range(n):
            body = {
                "neighbourhood": NEIGHBOURHOOD,
                "title": f"Experiment {i}",
                "question": "Helpt het?",
                "residents_agenda": "Bewoners vroegen erom.",
                "themes": ["health"],
            }
            key = new_key()
            self.outcome.starts.add(key)
            answer = await self.send(http, "/v1/experiments", body, key=key, count=False)
            assert answer is not None, "could not start an experiment"
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        return ids


def plan(n: int) -> dict[str, object]:
    return {
        "type": "revise_plan",
        "rationale": f"versie {n}",
        "description": f"plan {n}",
        "indicators": [{"name": "bereik", "target": str(n)}],
    }


def endorsement_round(count: int) -> dict[str, object]:
    """A round that `count` residents' endorsements reach, open for a month."""
    return {
        "type": "open_endorsement",
        "rationale": "op de bewonersavond besproken",
        "closes_on": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "threshold": {"count": count},
    }


async def endorse(client: Client, http: httpx.AsyncClient, experiment_id: str) -> None:
    """Residents endorse the current plan: a round of one, and one resident's vote."""
    path = f"/v1/experiments/{experiment_id}/decisions"
    for who, body in (("pm", endorsement_round(1)), ("resident-0", {"type": "endorse"})):
        answer = await client.send(http, path, body, who=who)
        assert answer is not None
        assert answer.status_code == 200, answer.text


async def run_load(
    client: Client,
    http: httpx.AsyncClient,
    experiment_ids: list[str],
    *,
    concurrency: int,
    stop: asyncio.Event,
) -> None:
    """`concurrency` callers taking revise_plan decisions until `stop` is set."""

    async def caller(c: int) -> None:
        n = 0
        while not stop.is_set():
            experiment_id = experiment_ids[(c + n * concurrency) % len(experiment_ids)]
            await client.send(http, f"/v1/experiments/{experiment_id}/decisions", plan(n))
            n += 1

    await asyncio.gather(*(caller(c) for c in range(concurrency)))
