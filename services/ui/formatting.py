"""Numbers, money, dates and times as a Dutch (or English) reader expects them, by Babel:
`€ 15.000,00`, `1 december 2026`, times in Europe/Amsterdam whatever the server's zone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from services.ui.i18n import Lang

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOCALES: dict[Lang, str] = {"nl": "nl_NL", "en": "en_GB"}


class Formats:
    """The filters of one language's templates."""

    def __init__(self, lang: Lang) -> None:
        self.locale = LOCALES[lang]

    def filters(self) -> dict[str, Any]:
        return {
            "money": self.money,
            "day": self.day,
            "moment": self.moment,
            "number": self.number,
            "percent": self.percent,
        }

    def money(self, value: Any) -> str:
        amount = _decimal(value)
        return str(value) if amount is None else format_currency(amount, "EUR", locale=self.locale)

    def number(self, value: Any) -> str:
        amount = _decimal(value)
        if amount is None or not amount.is_finite():
            return str(value)
        try:
            return format_decimal(amount, locale=self.locale)
        except (ArithmeticError, ValueError):
            return str(value)

    def percent(self, value: Any) -> str:
        """A share as a percentage: 0.575 is 58% (57,5 rounds to even, as Babel does)."""
        share = _decimal(value)
        if share is None or not share.is_finite():
            return str(value)
        try:
            return format_percent(share, locale=self.locale)
        except (ArithmeticError, ValueError):
            return str(value)

    def day(self, value: Any) -> str:
        """A date (or the date a moment falls on in Amsterdam), written out: 1 december 2026."""
        found = _moment(value)
        if isinstance(found, datetime):
            found = found.astimezone(AMSTERDAM).date()
        return str(value) if found is None else format_date(found, "long", locale=self.locale)

    def moment(self, value: Any) -> str:
        """A moment in Amsterdam's time: 1 december 2026 14:05."""
        found = _moment(value)
        if not isinstance(found, datetime):
            return self.day(value)
        return format_datetime(found, "d MMMM y HH:mm", tzinfo=AMSTERDAM, locale=self.locale)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _moment(value: Any) -> date | datetime | None:
    if isinstance(value, datetime | date):
        return value
    text = str(value or "")
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None
