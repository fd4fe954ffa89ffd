"""The lessons commons: a lesson Utrecht publishes is found by Zwolle, and by anyone as open
data (JSON, CSV read by frictionless, Atom read by feedparser), with nothing personal in it;
what is refused stores nothing; erasure reaches the commons."""

from __future__ import annotations

import uuid
from typing import Any

import feedparser
from frictionless import Resource

from tests.api.conftest import Stack, endorse_by_round, wait_until
from tests.api.test_contract import PLAN, assert_error, decide, start
from tests.api.test_hardening import limits

COACH = "De energiecoach komt echt langs, en bewoners vragen om een tweede bezoek."
LESSON = "Bewoners overtuigen hun buren beter dan de gemeente: begin bij de koffietafel."
PRIVATE = "Mijn buurvrouw Fatima durfde pas na drie bezoeken de deur open te doen."


async def in_learn(stack: Stack, title: str = "Koffietafel en kilowatts") -> dict[str, str]:
    """An experiment in learn with a manager's finding, a resident's own finding, a
    manager's lesson and a resident's own lesson: their decision ids by name."""
    eid = (await start(stack, title=title))["id"]
    await decide(stack, eid, PLAN)
    await endorse_by_round(stack, eid)
    await decide(stack, eid, {"type": "advance", "to": "act", "rationale": "onderschreven"})
    ids = {"experiment": eid}
    answer = await decide(
        stack, eid, {"type": "record_finding", "text": COACH, "source": "professionals"}
    )
    ids["finding"] = answer["decision_id"]
    answer = await decide(
        stack,
        eid,
        {"type": "record_finding", "text": PRIVATE, "source": "residents"},
        who="resident",
    )
    ids["own_finding"] = answer["decision_id"]
    await decide(stack, eid, {"type": "advance", "to": "evaluate", "rationale": "voorbij"})
    await decide(stack, eid, {"type": "advance", "to": "learn", "rationale": "geëvalueerd"})
    answer = await decide(
        stack,
        eid,
        {"type": "record_lesson", "text": LESSON, "themes": ["energy_transition"]},
    )
    ids["lesson"] = answer["decision_id"]
    answer = await decide(
        stack, eid, {"type": "record_lesson", "text": PRIVATE, "themes": []}, who="resident"
    )
    ids["own_lesson"] = answer["decision_id"]
    return ids


def publication(ids: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return {
        "type": "publish_lesson",
        "lesson": ids["lesson"],
        "evidence_level": "substantiated",
        "supporting": [ids["finding"], ids["own_finding"]],
        "conditions": "Werkt waar een buurthuis is en bewoners elkaar al kennen.",
    } | overrides


async def commons(stack: Stack, who: str, position: int, **params: Any) -> Any:
    answer = await stack.client.get(
        "/v1/commons/lessons",
        params={"min_position": position, **params},
        headers=stack.auth(who),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def projected_to(stack: Stack, position: int) -> None:
    """Open data has no min_position: wait until the read models passed `position`."""

    async def there() -> bool:
        answer = await stack.client.get(
            "/v1/experiments", params={"min_position": position}, headers=stack.auth("pm")
        )
        return answer.status_code == 200

    await wait_until(there)


async def test_a_published_lesson_is_found_everywhere_without_anything_personal(
    stack: Stack,
) -> None:
    ids = await in_learn(stack)
    eid = ids["experiment"]
    # Before it is published, Zwolle finds nothing of Utrecht's.
    before = await stack.client.get(
        "/v1/lessons", params={"q": "koffietafel"}, headers=stack.auth("zwolle")
    )
    assert before.json()["items"] == []

    published = await decide(stack, eid, publication(ids))
    assert published["experiment"]["stage"] == "learn", "publishing leaves the cycle as it was"
    position = published["position"]
    await projected_to(stack, position)

    found = await commons(stack, "zwolle", position, q="buren overtuigen")
    (lesson,) = [item for item in found["items"] if item["experiment_id"] == eid]
    assert lesson["text"] == LESSON
    assert lesson["lesson_id"] == ids["lesson"]
    assert lesson["evidence_level"] == "substantiated"
    assert lesson["municipality"] == "utrecht"
    assert lesson["themes"] == ["energy_transition"]
    assert lesson["cycle"] == 1
    assert lesson["conditions"].startswith("Werkt waar een buurthuis is")
    assert lesson["experiment"]["title"] == "Koffietafel en kilowatts"
    assert lesson["experiment"]["url"] == f"/open/experiments/{eid}"
    assert lesson["experiment"]["neighbourhood"]["code"]
    finding, own = lesson["supporting"]
    assert (finding["decision_id"], finding["text"], finding["source"]) == (
        ids["finding"],
        COACH,
        "professionals",
    )
    assert (own["decision_id"], own["text"], own["source"]) == (
        ids["own_finding"],
        None,
        "residents",
    ), "a resident's own words stay home"
    body = str(found)
    assert PRIVATE not in body
    assert "prs_" not in body, "no pseudonymous id leaves the municipality"
    # Searched with Dutch stemming (the same index finds English words English-stemmed);
    # filtered by theme and level.
    assert (await commons(stack, "evaluator", position, q="bewoner"))["items"]
    assert not (await commons(stack, "zwolle", position, q="koffietafel", theme="safety"))["items"]
    assert not (await commons(stack, "zwolle", position, q="koffietafel", level="effective"))[
        "items"
    ]
    # The personal lesson is not in the commons, the municipality's own library keeps it.
    assert all(item["lesson_id"] != ids["own_lesson"] for item in found["items"])

    # A later publication raises the level; still one entry.
    raised = await decide(stack, eid, publication(ids, evidence_level="effective"))
    again = await commons(stack, "zwolle", raised["position"], q="koffietafel")
    entries = [item for item in again["items"] if item["experiment_id"] == eid]
    assert [e["evidence_level"] for e in entries] == ["effective"]
    assert entries[0]["first_published_at"] == lesson["first_published_at"]

    # Open data, without signing in.
    await projected_to(stack, raised["position"])
    opened = await stack.client.get("/open/lessons", params={"q": "koffietafel"})
    assert opened.status_code == 200, opened.text
    assert opened.json()["licence"]["name"] == "CC-BY-4.0"
    assert 'rel="license"' in opened.headers["link"]
    assert [i["lesson_id"] for i in opened.json()["items"]] == [ids["lesson"]]

    summary = await stack.client.get(f"/open/experiments/{eid}")
    assert summary.status_code == 200
    shown = summary.json()
    assert shown["title"] == "Koffietafel en kilowatts"
    assert [one["lesson_id"] for one in shown["lessons"]] == [ids["lesson"]]
    assert shown["lessons"][0]["supporting"][0]["text"] == COACH
    assert PRIVATE not in summary.text
    assert "prs_" not in summary.text
    unpublished = (await start(stack, title="Nog niets geleerd"))["id"]
    assert_error(await stack.client.get(f"/open/experiments/{unpublished}"), 404, "not_found")

    # The CSV, read by frictionless.
    table = await stack.client.get("/open/lessons", headers={"Accept": "text/csv"})
    assert table.status_code == 200
    assert table.headers["content-type"].startswith("text/csv")
    assert 'rel="license"' in table.headers["link"]
    rows = Resource(table.content, format="csv").read_rows()
    mine = [row for row in rows if row["experiment_id"] == eid]
    assert [(row["lesson_id"], row["evidence_level"]) for row in mine] == [
        (ids["lesson"], "effective")
    ]
    assert mine[0]["text"] == LESSON
    assert mine[0]["summary_url"].endswith(f"/open/experiments/{eid}")
    assert PRIVATE not in table.text

    # The Atom feed, read by feedparser.
    atom = await stack.client.get("/open/lessons.atom")
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(atom.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert "CC-BY-4.0" in feed.feed.rights
    (entry,) = [e for e in feed.entries if eid in e.link]
    assert entry.link.endswith(f"/open/experiments/{eid}")
    assert LESSON in entry.content[0].value
    assert {tag.term for tag in entry.tags} >= {"energy_transition", "evidence:effective"}
    assert "utrecht" in entry.author
    assert PRIVATE not in atom.text


async def test_a_publication_that_is_refused_stores_nothing(stack: Stack) -> None:
    ids = await in_learn(stack, title="Groen om de hoek")
    other = await in_learn(stack, title="Een ander experiment")
    eid = ids["experiment"]
    for body, status, code, field in (
        (publication(ids, lesson=ids["own_lesson"]), 422, "lesson_personal", "lesson"),
        (publication(ids, lesson=other["lesson"]), 422, "lesson_not_of_experiment", "lesson"),
        (publication(ids, lesson=ids["finding"]), 422, "lesson_not_of_experiment", "lesson"),
        (publication(ids, lesson="nooit-genomen"), 422, "lesson_not_of_experiment", "lesson"),
        (publication(ids, evidence_level="bewezen"), 422, "invalid_input", "evidence_level"),
        (publication(ids, evidence_level=None), 422, "invalid_input", "evidence_level"),
        (
            publication(ids, supporting=[other["finding"]]),
            422,
            "supporting_not_of_experiment",
            "supporting",
        ),
        (
            publication(ids, supporting=[ids["own_lesson"]]),
            422,
            "supporting_not_of_experiment",
            "supporting",
        ),
        (publication(ids, supporting=[ids["finding"]] * 2), 422, "invalid_input", "supporting"),
        (publication(ids, supporting="f-1"), 422, "invalid_input", "supporting"),
        (publication(ids, lesson=7), 422, "invalid_input", "lesson"),
    ):
        refused = await stack.client.post(
            f"/v1/experiments/{eid}/decisions",
            json=body,
            headers={**stack.auth("pm"), "Idempotency-Key": uuid.uuid4().hex},
        )
        error = assert_error(refused, status, code)
        assert error.get("field") == field, (body, error)
    by_resident = await stack.client.post(
        f"/v1/experiments/{eid}/decisions", json=publication(ids), headers=stack.auth("resident")
    )
    assert_error(by_resident, 403, "role_not_allowed")
    by_zwolle = await stack.client.post(
        f"/v1/experiments/{eid}/decisions", json=publication(ids), headers=stack.auth("zwolle")
    )
    assert_error(by_zwolle, 404)

    last = await decide(stack, eid, {"type": "record_lesson", "text": "Nog een les.", "themes": []})
    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": last["position"], "limit": 200},
        headers=stack.auth("pm"),
    )
    assert "publish_lesson" not in {d["type"] for d in history.json()["items"]}
    found = await commons(stack, "zwolle", last["position"], q="groen")
    assert all(item["experiment_id"] != eid for item in found["items"])


async def test_commons_queries_that_are_no_queries_are_refused(stack: Stack) -> None:
    for params, field in (
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ({"cursor": "x" * 600}, "cursor"),
        ({"q": "koffie " * 100}, "q"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"level": "bewezen"}, "level"),
        ({"theme": "t" * 101}, "theme"),
    ):
        for path, headers in (
            ("/v1/commons/lessons", stack.auth("zwolle")),
            ("/open/lessons", {}),
        ):
            refused = await stack.client.get(path, params=params, headers=headers)
            error = assert_error(refused, 422)
            assert field in (error.get("field") or str(error)), (path, params, error)
    assert_error(await stack.client.get("/v1/commons/lessons"), 401)


async def test_open_data_is_rate_limited_per_address(stack: Stack) -> None:
    with limits(stack, WIJKLAB_OPEN_DATA_LIMIT="3/minute"):
        for _ in range(3):
            assert (await stack.client.get("/open/lessons.atom")).status_code == 200
        refused = await stack.client.get("/open/lessons")
        assert_error(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Signed-in readers are not counted against it.
        assert (
            await stack.client.get("/v1/commons/lessons", headers=stack.auth("zwolle"))
        ).status_code == 200


async def test_an_erased_authors_words_leave_the_commons(stack: Stack) -> None:
    token, _ = stack.keys.create("resident", "utrecht", "Joke Bakker", "joke@example.org")
    joke = {"Authorization": f"Bearer {token}"}
    ids = await in_learn(stack, title="Samen de stoep op")
    eid = ids["experiment"]
    said = "Een bankje voor de deur brengt meer gesprekken dan een folder."
    shared = await stack.client.post(
        f"/v1/experiments/{eid}/decisions",
        json={"type": "record_lesson", "text": said, "themes": [], "personal": False},
        headers={**joke, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert shared.status_code == 200, shared.text
    lesson = shared.json()
    published = await decide(
        stack, eid, publication(ids, lesson=lesson["decision_id"], supporting=[ids["finding"]])
    )
    found = await commons(stack, "zwolle", published["position"], q="bankje")
    assert [item["text"] for item in found["items"]] == [said]

    history = await stack.client.get(
        f"/v1/experiments/{eid}/decisions",
        params={"min_position": published["position"], "limit": 200},
        headers=stack.auth("evaluator"),
    )
    person_id = next(
        d["actor"]["id"]
        for d in history.json()["items"]
        if d["decision_id"] == lesson["decision_id"]
    )
    erased = await stack.client.post(f"/v1/people/{person_id}/erasure", headers=stack.auth("admin"))
    assert erased.status_code == 200, erased.text
    position = erased.json()["position"]
    after = await commons(stack, "zwolle", position, q="stoep")
    await projected_to(stack, position)
    everything = await commons(stack, "zwolle", position, limit=200)
    (entry,) = [i for i in everything["items"] if i["lesson_id"] == lesson["decision_id"]]
    assert (entry["text"], entry["erased"]) == (None, True)
    assert after["items"] == [], "her words are no longer searchable either"
    table = await stack.client.get("/open/lessons", headers={"Accept": "text/csv"})
    assert said not in table.text
    atom = await stack.client.get("/open/lessons.atom")
    assert said not in atom.text
