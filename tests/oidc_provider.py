"""A real OpenID provider for the tests: `oidc-provider-mock` serving discovery, JWKS,
authorize and token endpoints over HTTP on a free port, with users the tests define."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import httpx
import oidc_provider_mock


@dataclass
class Provider:
    issuer: str

    def user(self, sub: str, **claims: object) -> None:
        answer = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        answer.raise_for_status()

    def authorize(self, url: str, sub: str) -> tuple[str, dict[str, str]]:
        """Sign in at the provider as `sub`: where it sends the browser back, and the query."""
        answer = httpx.post(url, data={"sub": sub}, timeout=10, follow_redirects=False)
        assert answer.status_code in (302, 303), answer.text[:300]
        back = urlparse(answer.headers["location"])
        return back.path, {k: v[0] for k, v in parse_qs(back.query).items()}


@contextmanager
def running() -> Iterator[Provider]:
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield Provider(f"http://localhost:{server.server_port}")
