"""Where wijklab may send an outbound request: a receiver's host is resolved, and refused when
any of its addresses is private, loopback, link-local or otherwise not on the public
internet — so a subscription cannot turn wijklab into a probe of the municipality's own
network (server-side request forgery). Hosts and addresses in `WIJKLAB_OUTBOUND_ALLOW_HOSTS`
are let through: a receiver inside the municipality's network, or on this machine in tests.

The check runs when a subscription is made and again before every delivery (a name may
resolve elsewhere tomorrow); the delivery then connects to an address this check passed."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from domain.subscriptions import UrlNotAllowed

# host, port -> the addresses it resolves to
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_allow_list(value: str) -> frozenset[str]:
    """`WIJKLAB_OUTBOUND_ALLOW_HOSTS`: comma-separated hosts or addresses."""
    return frozenset(part.strip().lower().strip("[]") for part in value.split(",") if part.strip())


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    addresses: tuple[str, ...]  # the ones the check passed, to connect to


@dataclass(frozen=True)
class Destinations:
    allow: frozenset[str] = frozenset()
    resolve: Resolver = field(default=system_resolver)

    @classmethod
    def allowing(cls, hosts: Iterable[str], resolve: Resolver = system_resolver) -> Destinations:
        return cls(frozenset(h.lower() for h in hosts), resolve)

    def check(self, url: str) -> Destination:
        """The receiver of `url` with the addresses wijklab may connect to, or
        `UrlNotAllowed`."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self.resolve(host, port)
        except (OSError, UnicodeError):
            raise UrlNotAllowed(f"the host {host!r} does not resolve", field="url") from None
        if not addresses:
            raise UrlNotAllowed(f"the host {host!r} does not resolve", field="url")
        if host in self.allow:
            return Destination(host, port, tuple(addresses))
        for address in addresses:
            if address.lower() not in self.allow and not _public(address):
                raise UrlNotAllowed(
                    f"the host {host!r} resolves to {address}, a private, loopback or"
                    " link-local address; wijklab sends only to public addresses (or to hosts"
                    " in WIJKLAB_OUTBOUND_ALLOW_HOSTS)",
                    field="url",
                )
        return Destination(host, port, tuple(addresses))
