"""Evidence over the API: a file kept for an experiment, its kind read from its content,
downloaded with the read recorded; every refusal (too large, an unkept kind whatever its
name and header say, empty, another municipality's, a role that takes no decisions) says why
and stores nothing; a resident's own file is sealed, and unreadable once they are erased."""

from __future__ import annotations

import hashlib
import re
import uuid

import httpx

from tests.api.conftest import Stack, experiment_body, open_session, projected

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
CSV = b"huishouden;bezocht;datum\n12;ja;2026-11-02\n14;nee;2026-11-03\n"
TEXT = b"Notulen van de bewonersavond: 34 van de 40 aanwezigen waren voor."
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40


async def started(stack: Stack, who: str = "pm") -> str:
    answer = await stack.client.post(
        "/v1/experiments", json=experiment_body(title="Bewijs bewaren"), headers=stack.auth(who)
    )
    assert answer.status_code == 201, answer.text
    experiment_id = str(answer.json()["id"])
    await projected(stack, experiment_id, who)
    return experiment_id


async def upload(
    stack: Stack,
    experiment_id: str,
    data: bytes,
    *,
    who: str = "pm",
    title: str = "Notulen",
    name: str = "notulen.pdf",
    content_type: str = "application/pdf",
    **form: str,
) -> httpx.Response:
    return await stack.client.post(
        f"/v1/experiments/{experiment_id}/evidence",
        headers=stack.auth(who),
        files={"file": (name, data, content_type)},
        data={"title": title, **form},
    )


def rows(stack: Stack) -> tuple[int, int]:
    schema = stack.runtime.database.schema
    with stack.runtime.database.connect() as conn:
        files = conn.execute(f"SELECT count(*) FROM {schema}.evidence").fetchone()
        chunks = conn.execute(f"SELECT count(*) FROM {schema}.evidence_chunks").fetchone()
    assert files is not None
    assert chunks is not None
    return int(files[0]), int(chunks[0])


async def test_a_file_is_kept_by_its_content_and_its_download_recorded(stack: Stack) -> None:
    eid = await started(stack)
    for data, media_type in (
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (CSV, "text/csv"),
        (TEXT, "text/plain"),
    ):
        kept = await upload(stack, eid, data, content_type="application/octet-stream")
        assert kept.status_code == 201, kept.text
        body = kept.json()
        assert body["media_type"] == media_type
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert body["size"] == len(data)
        assert body["personal"] is False
        read = await stack.client.get(f"/v1/evidence/{body['id']}", headers=stack.auth("evaluator"))
        assert read.status_code == 200
        assert read.content == data
        assert read.headers["content-type"].startswith(media_type)
        assert read.headers["x-content-type-options"] == "nosniff"
        assert read.headers["content-disposition"].startswith("attachment;")
    records = await stack.client.get(
        "/v1/access-records", params={"experiment_id": eid}, headers=stack.auth("admin")
    )
    assert records.status_code == 200, records.text
    actions = [r["action"] for r in records.json()["items"]]
    assert actions.count("evidence") == 4, actions


async def test_refusals_say_why_and_store_nothing(stack: Stack) -> None:
    eid = await started(stack)
    theirs = await started(stack, "zwolle")
    before = rows(stack)
    for data, kwargs, status, code in (
        (PDF + b"x" * (10 * 1024 * 1024), {}, 413, "file_too_large"),
        (EXE, {}, 415, "unsupported_media_type"),
        (ZIP, {"name": "plan.docx"}, 415, "unsupported_media_type"),
        (b"", {}, 422, "invalid_input"),
        (PDF, {"title": ""}, 422, "invalid_input"),
        (PDF, {"title": "Notulen\u202egnirts"}, 422, "invalid_input"),
        (PDF, {"personal": "true"}, 422, "invalid_input"),
        (PDF, {"who": "evaluator"}, 403, "forbidden"),
        (PDF, {"who": "integration"}, 403, "forbidden"),
    ):
        refused = await upload(stack, eid, data, **kwargs)  # type: ignore[arg-type]
        assert refused.status_code == status, (kwargs, refused.status_code, refused.text[:200])
        assert refused.json()["error"]["code"] == code, (kwargs, refused.text[:200])
    for experiment_id in (theirs, str(uuid.uuid4())):
        refused = await upload(stack, experiment_id, PDF)
        assert refused.status_code == 404, refused.text
    assert rows(stack) == before, "nothing stored"
    kept = await upload(stack, eid, PDF)
    assert kept.status_code == 201
    other = await stack.client.get(
        f"/v1/evidence/{kept.json()['id']}", headers=stack.auth("zwolle")
    )
    assert other.status_code == 404, "another municipality's file does not exist for them"
    unknown = await stack.client.get(f"/v1/evidence/{uuid.uuid4()}", headers=stack.auth("pm"))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"


async def test_a_residents_own_file_is_sealed_and_gone_with_them(stack: Stack) -> None:
    token, _ = stack.keys.create("resident", "utrecht", "Fatima el Amrani")
    stack.tokens["fatima"] = token
    eid = await started(stack)
    secret = b"Mijn eigen verhaal over de speeltuin, alleen voor dit experiment."
    kept = await upload(stack, eid, secret, who="fatima", personal="true", name="verhaal.txt")
    assert kept.status_code == 201, kept.text
    assert kept.json()["personal"] is True
    schema = stack.runtime.database.schema
    with stack.runtime.database.connect() as conn:
        stored = b"".join(
            bytes(r[0]) for r in conn.execute(f"SELECT data FROM {schema}.evidence_chunks")
        )
    assert b"speeltuin" not in stored, "sealed at rest"
    read = await stack.client.get(f"/v1/evidence/{kept.json()['id']}", headers=stack.auth("pm"))
    assert read.content == secret
    person_id = next(k for k in stack.keys.list("utrecht") if k["name"] == "Fatima el Amrani")[
        "person_id"
    ]
    erased = await stack.client.post(f"/v1/people/{person_id}/erasure", headers=stack.auth("admin"))
    assert erased.status_code == 200, erased.text
    gone = await stack.client.get(f"/v1/evidence/{kept.json()['id']}", headers=stack.auth("pm"))
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "evidence_erased"


async def test_a_decision_rests_on_its_experiments_files_and_shows_them(stack: Stack) -> None:
    eid = await started(stack)
    other = await started(stack)
    mine = (await upload(stack, eid, PDF, title="Enquête-uitslag")).json()["id"]
    theirs = (await upload(stack, other, PDF)).json()["id"]
    plan = {
        "type": "revise_plan",
        "rationale": "uit de enquête",
        "description": "Coaches aan huis",
        "indicators": [{"name": "bereik", "target": 10}],
    }
    path = f"/v1/experiments/{eid}/decisions"
    for evidence, status, code in (
        ([theirs], 404, "evidence_not_found"),
        ([str(uuid.uuid4())], 404, "evidence_not_found"),
        (["niet-een-id"], 422, "invalid_input"),
        ([mine, mine], 422, "invalid_input"),
        ([], 422, "invalid_input"),
        ("enkel", 422, "invalid_input"),
        ([str(uuid.uuid4()) for _ in range(21)], 422, "invalid_input"),
    ):
        refused = await stack.client.post(
            path, json={**plan, "evidence": evidence}, headers=stack.auth("pm")
        )
        assert refused.status_code == status, (evidence, refused.text)
        assert refused.json()["error"]["code"] == code
    history = await stack.client.get(path, headers=stack.auth("evaluator"))
    assert [d["type"] for d in history.json()["items"]] == ["start"], "nothing was recorded"
    taken = await stack.client.post(
        path, json={**plan, "evidence": [mine.upper()]}, headers=stack.auth("pm")
    )
    assert taken.status_code == 200, taken.text
    position = taken.json()["position"]
    history = await stack.client.get(
        path, params={"min_position": position}, headers=stack.auth("evaluator")
    )
    revised = history.json()["items"][-1]
    assert revised["payload"]["evidence"] == [mine], "kept in its canonical form"
    exported = await stack.client.get(
        path,
        params={"min_position": position},
        headers={**stack.auth("evaluator"), "Accept": "text/csv"},
    )
    assert exported.status_code == 200
    header, *lines = exported.text.splitlines()
    assert header.endswith('"evidence"')
    assert lines[-1].endswith(f'"{mine}"')
    # On the experiment's page: the file by its title, downloadable with the session.
    await open_session(stack, "evaluator")
    page = await stack.client.get(f"/experiments/{eid}")
    assert page.status_code == 200
    assert f'<a href="/evidence/{mine}">Enquête-uitslag</a>' in page.text
    assert "Bewijsstukken" in page.text
    file = await stack.client.get(f"/evidence/{mine}")
    assert file.status_code == 200
    assert file.content == PDF
    assert (await stack.client.get(f"/evidence/{uuid.uuid4()}")).status_code == 404
    stack.client.cookies.clear()
    assert (await stack.client.get(f"/evidence/{mine}", follow_redirects=False)).status_code == 303


async def test_a_file_goes_with_a_decision_from_the_page_or_not_at_all(stack: Stack) -> None:
    """On the experiment's page a decision's form may carry a file: kept and named by the
    decision; a refused file, or a refused decision, leaves nothing behind."""
    eid = await started(stack)
    await open_session(stack, "pm")
    page = await stack.client.get(f"/experiments/{eid}")
    assert 'enctype="multipart/form-data"' in page.text
    assert "Bewijsstuk (niet verplicht)" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    form = {
        "csrf": csrf.group(1),
        "type": "revise_plan",
        "rationale": "uit de enquête",
        "description": "Coaches aan huis",
        "indicator_name_1": "bereik",
        "indicator_target_1": "10",
    }
    before = rows(stack)
    for data, name, error in (
        (EXE, "enquete.pdf", "unsupported_media_type"),
        (PDF + b"x" * (10 * 1024 * 1024), "groot.pdf", "file_too_large"),
    ):
        refused = await stack.client.post(
            f"/experiments/{eid}/decisions",
            data={**form, "nonce": uuid.uuid4().hex},
            files={"evidence_file": (name, data, "application/pdf")},
            follow_redirects=False,
        )
        assert refused.status_code == 303
        assert f"error={error}" in refused.headers["location"]
    # A refused decision (no description) takes its file with it.
    refused = await stack.client.post(
        f"/experiments/{eid}/decisions",
        data={**form, "description": "", "nonce": uuid.uuid4().hex},
        files={"evidence_file": ("enquete.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert "error=" in refused.headers["location"]
    assert rows(stack) == before, "nothing stayed behind"
    taken = await stack.client.post(
        f"/experiments/{eid}/decisions",
        data={**form, "nonce": uuid.uuid4().hex},
        files={"evidence_file": ("enquete-uitslag.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert "done=1" in taken.headers["location"], taken.headers["location"]
    shown = await stack.client.get(taken.headers["location"])
    assert ">enquete-uitslag.pdf</a>" in shown.text
    # Without a file the form works as before.
    plain = await stack.client.post(
        f"/experiments/{eid}/decisions",
        data={**form, "rationale": "nog eens", "nonce": uuid.uuid4().hex},
        follow_redirects=False,
    )
    assert "done=1" in plain.headers["location"], plain.headers["location"]
    stack.client.cookies.clear()
