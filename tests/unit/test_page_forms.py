"""Every unsafe method of the pages takes the CSRF-checked form: one dependency, no route
without it."""

from __future__ import annotations

from fastapi.routing import APIRoute

from services.ui.csrf import checked_form
from services.ui.pages import experiment, library, overview, sign_in


def _dependencies(route: APIRoute) -> set[object]:
    return {d.call for d in route.dependant.dependencies}


def test_every_form_post_of_the_pages_checks_csrf() -> None:
    unsafe = [
        route
        for page in (sign_in, overview, experiment, library)
        for route in page.router.routes
        if isinstance(route, APIRoute) and route.methods - {"GET", "HEAD", "OPTIONS"}
    ]
    assert {r.path for r in unsafe} == {
        "/sign-in",
        "/sign-out",
        "/experiments",
        "/experiments/{experiment_id}/decisions",
    }
    for route in unsafe:
        assert checked_form in _dependencies(route), route.path
