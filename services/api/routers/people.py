"""People and access records, for admins: who is in the record, erasure, who read what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from domain.errors import InvalidInput, PersonNotFound
from domain.people import check_person_id
from services.api import answers
from services.api.deps import PeopleAdmin, ServicesDep
from services.app.erasure import erase_person, revoke_access
from services.bootstrap import ways_in

router = APIRouter(tags=["people"], responses=answers.ERRORS)


@router.get("/v1/people", response_model=answers.Page[answers.Person])
def list_people(principal: PeopleAdmin, services: ServicesDep) -> dict[str, Any]:
    """The people of the admin's municipality (names included: this read is recorded)."""
    municipality = principal.municipality or "*"
    services.access.record(principal, "people", municipality=municipality)
    people = services.people.list(principal.municipality)
    return {"items": [p.to_dict() for p in people], "next_cursor": None}


@router.get("/v1/people/{person_id}", response_model=answers.Person)
def get_person(person_id: str, principal: PeopleAdmin, services: ServicesDep) -> dict[str, Any]:
    found = services.people.find(check_person_id(person_id))
    if found is None or not principal.sees(found.municipality):
        raise PersonNotFound(f"person {person_id} does not exist")
    services.access.record(
        principal, "people", municipality=found.municipality, detail={"person_id": person_id}
    )
    return found.to_dict()


@router.post("/v1/people/{person_id}/erasure", response_model=answers.Erasure)
async def erase(person_id: str, principal: PeopleAdmin, services: ServicesDep) -> dict[str, Any]:
    """Erase a person (AVG art. 17): their key is deleted and the record says so; decisions
    stay, their data reads "erased person" everywhere. Repeating it changes nothing."""
    done = await run_in_threadpool(
        erase_person,
        services.people,
        services.keys,
        services.experiments,
        person_id,
        access=ways_in(services, erasing=True),
        erased_by={"id": principal.actor_id, "role": principal.role.value},
        scope=principal.municipality,
    )
    return done.to_dict()


@router.post("/v1/people/{person_id}/revocation", response_model=answers.AccessRevoked)
async def revoke(person_id: str, principal: PeopleAdmin, services: ServicesDep) -> dict[str, Any]:
    """End a person's access — API keys, sessions, invitations, sign-in links — at once,
    keeping their record (a leaver, a lost phone). Repeating it changes nothing."""
    done = await run_in_threadpool(
        revoke_access,
        services.people,
        services.keys,
        person_id,
        access=ways_in(services),
        scope=principal.municipality,
    )
    return done.to_dict()


@router.get("/v1/access-records", response_model=answers.Page[answers.AccessRecord])
def access_records(
    principal: PeopleAdmin,
    services: ServicesDep,
    experiment_id: UUID | None = None,
    actor_id: str | None = None,
    since: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> dict[str, Any]:
    """Who read which history, export or past state, newest first."""
    moment = None
    if since is not None:
        try:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput("since must be an ISO 8601 date or time", field="since") from None
    page = services.access.list(
        principal.municipality,
        experiment_id=experiment_id,
        actor_id=actor_id,
        since=moment,
        cursor=cursor,
        limit=limit,
    )
    return page.to_dict()
