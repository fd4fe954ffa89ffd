"""What a subscription may ask for, checked without the network, and where wijklab may
send: every address of the receiver's host public, unless the host or address is allowed."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.subscriptions import UrlNotAllowed, parse_subscription
from services.infra.destinations import Destinations, parse_allow_list

GOOD = {"url": "https://ontvanger.example.nl/wijklab", "event_types": ["decision.recorded"]}


def test_a_good_request_is_kept_in_the_contract_s_order() -> None:
    found = parse_subscription(
        {**GOOD, "event_types": ["stage.overdue", "decision.recorded", "stage.overdue"]}
    )
    assert found.event_types == ("decision.recorded", "stage.overdue")
    assert found.host == "ontvanger.example.nl"
    assert found.experiment_id is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://ontvanger.example.nl/"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://gebruiker:wachtwoord@ontvanger.example.nl/"}, "url"),
        ({"url": "https://gebruiker@ontvanger.example.nl/"}, "url"),
        ({"url": "https:///zonder-host"}, "url"),
        ({"url": "https://ontvanger.example.nl/#deel"}, "url"),
        ({"url": "https://ontvanger.example.nl:99999/"}, "url"),
        ({"url": "https://ontvanger .example.nl/"}, "url"),
        ({"url": "https://ontvanger.example.nl/\u202e"}, "url"),
        ({"url": "https://example.nl/" + "a" * 2000}, "url"),
        ({"url": ""}, "url"),
        ({"url": 42}, "url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["decision.deleted"]}, "event_types"),
        ({"event_types": "decision.recorded"}, "event_types"),
        ({"experiment_id": "geen-uuid"}, "experiment_id"),
    ],
)
def test_a_bad_request_names_its_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_subscription({**GOOD, **change})
    assert refused.value.field == field


def names(mapping: dict[str, list[str]]) -> Destinations:
    """A resolver for names the test controls (nothing is looked up, nothing is sent)."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise OSError("unknown host")
        return mapping[host]

    return Destinations(parse_allow_list("127.0.0.1, intern.gemeente.example"), resolve)


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.1.2.3"],
        ["192.168.1.10"],
        ["172.16.0.1"],
        ["127.0.0.2"],
        ["169.254.169.254"],
        ["100.64.0.1"],
        ["0.0.0.0"],
        ["::1"],
        ["fe80::1"],
        ["fc00::1"],
        ["::ffff:127.0.0.2"],
        ["224.0.0.1"],
        ["93.184.216.34", "10.0.0.1"],  # one private address is enough to refuse
    ],
)
def test_a_host_resolving_to_a_private_address_is_refused(addresses: list[str]) -> None:
    destinations = names({"ontvanger.example.nl": addresses})
    with pytest.raises(UrlNotAllowed) as refused:
        destinations.check("https://ontvanger.example.nl/hook")
    assert refused.value.code == "url_not_allowed"
    assert refused.value.field == "url"


def test_public_allowed_and_unresolvable_hosts() -> None:
    destinations = names(
        {
            "ontvanger.example.nl": ["93.184.216.34", "2606:2800:220:1::1"],
            "intern.gemeente.example": ["10.20.30.40"],
            "127.0.0.1": ["127.0.0.1"],
        }
    )
    public = destinations.check("https://ontvanger.example.nl:8443/hook")
    assert public.port == 8443
    assert public.addresses == ("93.184.216.34", "2606:2800:220:1::1")
    assert destinations.check("http://intern.gemeente.example/hook").addresses == ("10.20.30.40",)
    assert destinations.check("http://127.0.0.1:9000/hook").port == 9000
    with pytest.raises(UrlNotAllowed, match="does not resolve"):
        destinations.check("https://bestaat-niet.example/hook")
