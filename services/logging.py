"""Structured logs: pretty in a terminal, one JSON object per line everywhere else.

Context such as `experiment_id`, `decision_id` and `workflow_id` is bound with
`structlog.contextvars.bound_contextvars` and merged into every line below it; while tracing
is on, the current span's `trace_id` and `span_id` too.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

from services import tracing


def configure_logging(
    fmt: Literal["auto", "json", "console"] = "auto", level: str = "INFO"
) -> None:
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        tracing.log_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: structlog.types.Processor
    if as_json:
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries that log through the standard library end up as plain lines on stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
