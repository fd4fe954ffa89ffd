"""The evidence store: a file's description in `evidence`, its bytes in `evidence_chunks`.

A person's own file is sealed chunk by chunk: AES-256-GCM under a key derived by HKDF from
the person's key (bound to this use), a random nonce per chunk, and the evidence id and the
chunk's number as associated data, so chunks cannot be swapped or moved to another file.
When the person is erased their key is gone and so is every way to read the file.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from psycopg import sql
from psycopg.rows import dict_row

from domain.evidence import ALLOWED_MEDIA_TYPES
from services.infra.postgres import Connect, Database

CHUNK_BYTES = 1024 * 1024
NONCE_BYTES = 12
_COLUMNS = sql.SQL(
    "id, municipality, experiment_id, title, media_type, size, sha256, owner, uploaded_by,"
    " uploaded_at"
)


@dataclass(frozen=True)
class EvidenceFile:
    id: UUID
    municipality: str
    experiment_id: UUID
    title: str
    media_type: str
    size: int
    sha256: str
    owner: str | None
    uploaded_by: str
    uploaded_at: datetime

    @property
    def download_name(self) -> str:
        return f"evidence-{self.id}.{ALLOWED_MEDIA_TYPES[self.media_type]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "experiment_id": str(self.experiment_id),
            "title": self.title,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "personal": self.owner is not None,
            "uploaded_at": self.uploaded_at.isoformat(),
        }


def _file_key(person_key: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"wijklab evidence v1"
    ).derive(person_key)


def _aad(evidence_id: UUID, n: int) -> bytes:
    return f"{evidence_id}:{n}".encode()


class Unreadable(Exception):
    """The file's owner was erased (or a chunk was tampered with)."""


class EvidenceStore:
    def __init__(
        self,
        database: Database,
        key_of: Callable[[str], bytes | None],
        connect: Connect | None = None,
    ) -> None:
        self.files = sql.Identifier(database.schema, "evidence")
        self.chunks = sql.Identifier(database.schema, "evidence_chunks")
        self.key_of = key_of
        self.connect = database.connector(connect)

    def _sealing_key(self, file: EvidenceFile) -> bytes | None:
        """The key a personal file is sealed with (None for the municipality's own files);
        `Unreadable` when its owner was erased."""
        if file.owner is None:
            return None
        person_key = self.key_of(file.owner)
        if person_key is None:
            raise Unreadable("the owner was erased")
        return _file_key(person_key)

    def save(self, file: EvidenceFile, data: bytes) -> None:
        """Keep the file, sealed for its owner if it has one, in one transaction."""
        key = self._sealing_key(file)
        with self.connect() as conn, conn.transaction():
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, municipality, experiment_id, title, media_type, size,"
                    " sha256, owner, uploaded_by, uploaded_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(self.files),
                (
                    file.id,
                    file.municipality,
                    file.experiment_id,
                    file.title,
                    file.media_type,
                    file.size,
                    file.sha256,
                    file.owner,
                    file.uploaded_by,
                    file.uploaded_at,
                ),
            )
            for n, start in enumerate(range(0, len(data), CHUNK_BYTES)):
                chunk = data[start : start + CHUNK_BYTES]
                if key is not None:
                    nonce = secrets.token_bytes(NONCE_BYTES)
                    chunk = nonce + AESGCM(key).encrypt(nonce, chunk, _aad(file.id, n))
                conn.execute(
                    sql.SQL("INSERT INTO {} (evidence_id, n, data) VALUES (%s, %s, %s)").format(
                        self.chunks
                    ),
                    (file.id, n, chunk),
                )

    def delete(self, evidence_id: UUID) -> None:
        """Forget a file no decision was taken on (its chunks go with it)."""
        with self.connect() as conn:
            conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(self.files), (evidence_id,))

    def get(self, evidence_id: UUID) -> EvidenceFile | None:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL("SELECT {} FROM {} WHERE id = %s").format(_COLUMNS, self.files),
                (evidence_id,),
            )
            row = cur.fetchone()
        return None if row is None else EvidenceFile(**row)

    def of_experiment(self, experiment_id: UUID) -> list[EvidenceFile]:
        with self.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT {} FROM {} WHERE experiment_id = %s ORDER BY uploaded_at, id"
                ).format(_COLUMNS, self.files),
                (experiment_id,),
            )
            return [EvidenceFile(**row) for row in cur.fetchall()]

    def read(self, file: EvidenceFile) -> Iterator[bytes]:
        """The file's bytes, chunk by chunk; `Unreadable` when its owner was erased."""
        key = self._sealing_key(file)
        with self.connect() as conn:
            rows = conn.execute(
                sql.SQL("SELECT n, data FROM {} WHERE evidence_id = %s ORDER BY n").format(
                    self.chunks
                ),
                (file.id,),
            ).fetchall()
        for n, data in rows:
            chunk = bytes(data)
            if key is not None:
                try:
                    chunk = AESGCM(key).decrypt(
                        chunk[:NONCE_BYTES], chunk[NONCE_BYTES:], _aad(file.id, n)
                    )
                except InvalidTag:
                    raise Unreadable("a chunk does not open") from None
            yield chunk
