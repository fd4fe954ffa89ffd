"""Standard Webhooks signatures: several may be sent; one valid one is enough."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.infra.webhooks import SignatureRejected, sign, verify


def test_several_signatures_one_of_which_matches() -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"a": 1}'
    good = sign(secret, "msg_1", 1_700_000_000, body)
    now = datetime.fromtimestamp(1_700_000_000, tz=UTC)
    verify(
        (secret,),
        msg_id="msg_1",
        timestamp="1700000000",
        signature=f"v1,bm9wZQ== {good}",
        body=body,
        now=now,
    )
    with pytest.raises(SignatureRejected):
        verify(
            (secret,),
            msg_id="msg_1",
            timestamp="1700000000",
            signature="v1,bm9wZQ==",
            body=body,
            now=now,
        )
    with pytest.raises(SignatureRejected):
        verify((secret,), msg_id="msg_1", timestamp="soon", signature=good, body=body, now=now)
