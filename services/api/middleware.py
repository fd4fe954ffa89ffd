"""ASGI middleware: a bounded request body, and a request id, log line and metrics per request."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bound_contextvars

from services.metrics import LATENCY, REQUESTS

log = structlog.get_logger("wijklab.http")

SECRET_PARAMS = ("{code}", "{token}")

MAX_BODY = 1024 * 1024
# An evidence upload (by the API, or with a decision's form on the pages) may carry a file of
# 10 MB, with the multipart form around it.
UPLOAD_PATH = re.compile(r"^(/v1/experiments/[^/]+/evidence|/experiments/[^/]+/decisions)$")
MAX_UPLOAD_BODY = 10 * 1024 * 1024 + 64 * 1024


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodyTooLarge(Exception):
    pass


class LimitBody:
    """Refuse request bodies over 1 MB with 413 (an evidence upload: 10 MB and its form),
    whether announced or streamed. (NUL characters are refused where a value is read:
    `domain.values.text`.)"""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if scope.get("method") == "POST" and UPLOAD_PATH.match(scope.get("path", "")):
            limit = max(limit, MAX_UPLOAD_BODY)
        too_large = {
            "error": {
                "code": "payload_too_large",
                "message": f"request bodies are limited to {limit} bytes",
            }
        }
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = 0
                if announced > limit:
                    await _send_json(send, 413, too_large)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, too_large)


class RequestContext:
    """Bind a request id for every log line of the request; log and count it when done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = (
            incoming if 0 < len(incoming) <= 100 and incoming.isprintable() else uuid.uuid4().hex
        )
        status = 500
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        with bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - began
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                method = scope.get("method", "")
                REQUESTS.labels(method, template, str(status)).inc()
                LATENCY.labels(method, template).observe(elapsed)
                log.info(
                    "request",
                    method=method,
                    # A path that carries a secret (an invitation code, a sign-in link's
                    # token) is logged as its route, never as itself.
                    path=template
                    if any(p in template for p in SECRET_PARAMS)
                    else scope.get("path"),
                    route=template,
                    status=status,
                    ms=round(elapsed * 1000, 1),
                )


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    # No page of wijklab uses the camera, the microphone, location, payment or the like.
    (
        b"permissions-policy",
        b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
        b"bluetooth=(), browsing-topics=()",
    ),
]
# Answers carry personal data (histories, exports, pages of signed-in people): no browser,
# proxy or shared cache keeps a copy. Files that are the same for everyone may be cached.
NO_STORE = (b"cache-control", b"no-store")
CACHEABLE = ("/static/", "/docs/assets/")
# Over HTTPS, browsers are told to use nothing else for a year.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Headers that keep pages from being framed, sniffed, fed foreign scripts or cached,
    and browsers on HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = list(SECURITY_HEADERS)
        if scope.get("scheme") == "https":
            extra.append(HSTS)
        cacheable = scope.get("path", "").startswith(CACHEABLE)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not cacheable and not any(name == NO_STORE[0] for name, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
