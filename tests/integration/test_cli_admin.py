"""`wijklab keys` and `wijklab integrations`: secrets alone on stdout, refusals with exit 2."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from services.infra.embedded_postgres import EmbeddedPostgres


def _run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    wijklab = shutil.which("wijklab", path=str(Path(sys.executable).parent))
    assert wijklab
    env = {**os.environ, "WIJKLAB_DATA_DIR": str(data_dir), "WIJKLAB_LOG_FORMAT": "json"}
    env.pop("DATABASE_URL", None)
    return subprocess.run([wijklab, *args], env=env, capture_output=True, text=True, timeout=120)


def test_keys_and_integrations(tmp_path: Path) -> None:
    created = _run(
        tmp_path,
        "keys",
        "create",
        "--role",
        "evaluator",
        "--municipality",
        "*",
        "--name",
        "Rekenkamer",
    )
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"wl_[A-Za-z0-9_-]{43}\n", created.stdout)

    refused = _run(tmp_path, "keys", "create", "--role", "admin", "--municipality", "*")
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert "only an evaluator" in refused.stderr

    listed = _run(tmp_path, "keys", "list")
    assert "evaluator" in listed.stdout
    assert "Rekenkamer" in listed.stdout
    assert created.stdout.strip() not in listed.stdout  # the token is never shown again
    key_id = listed.stdout.split()[0]
    assert _run(tmp_path, "keys", "revoke", key_id).returncode == 0
    assert _run(tmp_path, "keys", "revoke", key_id).returncode == 1

    secret = _run(tmp_path, "integrations", "create", "enquete", "--municipality", "utrecht")
    assert secret.returncode == 0, secret.stderr
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{44}\n", secret.stdout)
    rotated = _run(tmp_path, "integrations", "rotate", "enquete")
    assert rotated.stdout.startswith("whsec_")
    assert rotated.stdout != secret.stdout
    # A leaked secret: the new one at once, the old one neither valid nor kept.
    leaked = _run(tmp_path, "integrations", "rotate", "enquete", "--immediate")
    assert leaked.returncode == 0, leaked.stderr
    assert leaked.stdout.startswith("whsec_")
    assert leaked.stdout not in (secret.stdout, rotated.stdout)
    assert (
        _run(tmp_path, "integrations", "create", "enquete", "--municipality", "utrecht").returncode
        == 2
    )
    assert _run(tmp_path, "integrations", "revoke", "enquete").returncode == 0
    assert secret.stdout.strip() not in _run(tmp_path, "integrations", "list").stdout

    # In the database: a hash of the token, the webhook secrets only encrypted.
    embedded = EmbeddedPostgres(tmp_path)
    try:
        with psycopg.connect(make_conninfo(**embedded.start())) as conn:
            stored = conn.execute(
                "SELECT secret, previous_secret FROM wijklab.integrations"
            ).fetchone()
            hashes = [r[0] for r in conn.execute("SELECT token_sha256 FROM wijklab.api_keys")]
    finally:
        embedded.stop()
    assert stored is not None
    assert stored[1] is None, "the leaked secret's predecessor is not kept"
    for plain in (secret, rotated, leaked):
        assert plain.stdout.strip().encode() not in bytes(stored[0])
    assert created.stdout.strip() not in hashes


def test_people_are_listed_and_erased_from_the_command_line(tmp_path: Path) -> None:
    created = _run(
        tmp_path,
        "keys",
        "create",
        "--role",
        "resident",
        "--municipality",
        "utrecht",
        "--name",
        "Joke Zonneveld",
        "--contact",
        "06-12345678",
    )
    assert created.returncode == 0, created.stderr
    listed = _run(tmp_path, "people", "list", "--municipality", "utrecht")
    assert "Joke Zonneveld" in listed.stdout
    person_id = listed.stdout.split()[0]
    assert person_id.startswith("prs_")
    assert _run(tmp_path, "people", "erase", person_id).returncode != 0  # asks; no answer
    erased = _run(tmp_path, "people", "erase", person_id, "--yes")
    assert erased.returncode == 0, erased.stderr
    assert f"erased {person_id}" in erased.stdout
    again = _run(tmp_path, "people", "list")
    assert "Joke Zonneveld" not in again.stdout
    assert "erased" in again.stdout
    assert _run(tmp_path, "people", "erase", "prs_nope", "--yes").returncode == 2
    assert _run(tmp_path, "access", "list").returncode == 0

    embedded = EmbeddedPostgres(tmp_path)
    try:
        with psycopg.connect(make_conninfo(**embedded.start())) as conn:
            keys = conn.execute("SELECT count(*) FROM wijklab.person_keys").fetchone()
            revoked = conn.execute(
                "SELECT revoked_at IS NOT NULL FROM wijklab.api_keys WHERE person_id = %s",
                (person_id,),
            ).fetchone()
    finally:
        embedded.stop()
    assert keys == (0,)
    assert revoked == (True,)


def test_an_invitation_is_made_on_the_command_line(tmp_path: Path) -> None:
    made = _run(
        tmp_path,
        "invitations",
        "create",
        "--role",
        "resident",
        "--municipality",
        "utrecht",
        "--name",
        "Ans Bakker",
        "--contact",
        "ans@example.nl",
    )
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(
        r"http://127\.0\.0\.1:8000/invite/[A-Z2-9]{4}(-[A-Z2-9]{4}){2}\n", made.stdout
    )
    assert "delivered: email" in made.stderr, "development keeps the mail at /dev/mail"
    refused = _run(
        tmp_path,
        "invitations",
        "create",
        "--role",
        "system",
        "--municipality",
        "utrecht",
        "--name",
        "x",
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert "role must be one of" in refused.stderr
