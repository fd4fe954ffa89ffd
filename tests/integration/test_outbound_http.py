"""The client side of a delivery against receivers that misbehave, on 127.0.0.1: one that
never answers is given up on at the timeout, one that answers with an endless body is read no
further than 64 KiB, one that redirects is not followed. Nothing is raised: the attempt says
what happened, and the delivery workflow decides whether to try again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from services.infra.destinations import Destinations
from services.infra.outbound_http import MAX_ANSWER, Sent, send

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@contextmanager
def raw_receiver(reply: bytes | None, *, endless: bool = False) -> Iterator[tuple[str, list[int]]]:
    """A server that reads the request, then answers `reply` (None: nothing, ever), and with
    `endless` keeps sending body bytes; the second item counts what it sent."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    sent = [0]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            if reply is None:
                stop.wait(30)
                return
            conn.sendall(reply)
            chunk = b"x" * 65536
            while endless and not stop.is_set():
                try:
                    conn.sendall(chunk)
                except OSError:
                    return
                sent[0] += len(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/hook", sent
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def deliver(url: str, timeout: float = 15.0) -> tuple[Sent, float]:
    began = time.monotonic()
    with httpx.Client(trust_env=False) as client:
        sent = send(
            client,
            Destinations.allowing(["127.0.0.1"]),
            url,
            msg_id="msg_test",
            secrets=(SECRET,),
            body=b'{"type":"decision.recorded"}',
            timeout=timeout,
        )
    return sent, time.monotonic() - began


def test_a_receiver_that_never_answers_is_given_up_on_at_the_timeout() -> None:
    with raw_receiver(None) as (url, _):
        sent, took = deliver(url, timeout=1.0)
    assert sent.status_code is None
    assert sent.error == "timeout: no answer within 1 s"
    assert took < 10


def test_an_endless_answer_is_read_no_further_than_its_bound() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n"  # no length: until closed
    with raw_receiver(head, endless=True) as (url, written):
        sent, took = deliver(url, timeout=5.0)
    assert sent.status_code == 200
    assert sent.error is None
    assert took < 5
    assert written[0] < 100 * MAX_ANSWER, "the sender stopped reading long before the end"


def test_a_redirect_is_not_followed() -> None:
    moved = b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.2/\r\ncontent-length: 0\r\n\r\n"
    with raw_receiver(moved) as (url, _):
        sent, _ = deliver(url)
    assert sent.status_code == 307
    assert sent.error == "redirect not followed"
