"""Where the logs go: standard error, one line per event, an error's traceback indented under its line.

settings.LOGGING sends Django's loggers (django.request: every 4xx and 5xx, django.security), the app's
(maatchaa.*) and the worker's (django-q) to StderrHandler with EventFormatter. The process manager (systemd,
docker, a PaaS) keeps standard error; that is where an operator reads them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO


class EventFormatter(logging.Formatter):
    """`2026-11-30 12:00:00,123 ERROR django.request: Internal Server Error: /products`: one line per event
    (newlines in a message are escaped, so a line is an event to grep and to count), and for an error its
    traceback on the following lines, each indented by two spaces."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, **kwargs: Any) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt, **kwargs)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        # format() sets record.message afresh for every handler, so escaping it here changes nothing else.
        record.message = record.message.replace("\r", "\\r").replace("\n", "\\n")
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return _indent(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 (logging's name)
        return _indent(super().formatStack(stack_info))


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


class StderrHandler(logging.StreamHandler[TextIO]):
    """A StreamHandler on whatever sys.stderr is when a record is written, not when logging was configured:
    pytest's capture (and a test's capsys) then sees every line, so a 500 in a test run prints its traceback."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # StreamHandler.__init__ and setStream assign it; sys.stderr is always read afresh
