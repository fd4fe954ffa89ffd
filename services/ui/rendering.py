"""Rendering a page: one Jinja2 environment per language, with `jinja2.ext.i18n` bound to that
language's catalog, Babel's formats as filters, and the labels as `t`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from domain.access import Permission, Principal
from domain.values import Role
from services.ui import cookies, form_tokens
from services.ui.formatting import Formats
from services.ui.i18n import LANG_COOKIE, Lang, negotiate, translations
from services.ui.labels import Labels

TEMPLATES = Path(__file__).parent / "templates"


class PageError(Exception):
    """A page that cannot be shown: its status and the message key the error page shows."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


@lru_cache(maxsize=2)
def environment(lang: Lang) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(Formats(lang).filters())
    env.globals.update(t=Labels(lang), lang=lang, Role=Role, Permission=Permission)
    return env


def language(request: Request) -> Lang:
    return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    token, new_cookie = form_tokens.for_page(request)
    page = environment(language(request)).get_template(template)
    waiting = getattr(request.state, "waiting", None)
    body = page.render(
        {
            "csrf": token,
            "principal": principal,
            "path": request.url.path,
            "waiting": waiting,
            **context,
        }
    )
    response = HTMLResponse(body, status_code=status)
    if new_cookie is not None:
        cookies.put(response, request, cookies.FORM, new_cookie)
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
