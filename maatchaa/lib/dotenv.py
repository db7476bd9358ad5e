""".env files as people write them: `KEY=value   # a comment` means `value`.

The worker guide's blocks put a comment after each value (`WORKER_CYCLE_INTERVAL_MINUTES=360     # Every 6
hours`). django-environ reads a whole line as the value unless told to parse comments, and then it cuts at
any `#`, even inside `pass#word`, and keeps the spaces before the comment. Here a comment starts at a `#`
after whitespace, outside quotes (python-dotenv's and the shells' rule), so a `#` inside a value survives;
the cleaned text is handed to django-environ, which does the rest (quotes, escapes, `export`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import environ

_ASSIGNMENT = re.compile(r"\A(\s*(?:export\s+)?[A-Za-z_0-9]+=)(.*)\Z")
_COMMENT = re.compile(r"\s+#.*\Z")


def strip_inline_comment(value: str) -> str:
    """The value part of `KEY=value` without a trailing comment or the blanks before it."""
    stripped = value.strip()
    if stripped[:1] in ("'", '"'):
        quote = stripped[0]
        position = 1
        while position < len(stripped):
            char = stripped[position]
            if char == "\\" and quote == '"':
                position += 2
                continue
            if char == quote:
                rest = stripped[position + 1 :]
                # A closing quote followed by nothing or a comment ends the value; anything else is a value
                # that happens to start with a quote, read as written.
                if not rest.strip() or rest.lstrip().startswith("#") and rest[:1].isspace():
                    return stripped[: position + 1]
                break
            position += 1
    return _COMMENT.sub("", stripped).rstrip()


def without_inline_comments(text: str) -> str:
    lines = []
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        lines.append(f"{match.group(1).strip()}{strip_inline_comment(match.group(2))}" if match else line)
    return "\n".join(lines)


def read_dotenv(path: Path) -> None:
    """Load `path` into os.environ (variables already set win), if it exists."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    environ.Env.read_env(io.StringIO(without_inline_comments(text)), overwrite=False)
