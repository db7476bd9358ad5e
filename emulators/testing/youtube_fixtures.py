"""Fixtures that start the YouTube emulator on loopback for tests.

`youtube_emulator` is one EmulatorServer over the demo corpus for the whole session, reset to its initial
state (calls, quota, budgets, faults, forgotten ids, updated statistics) before each test, with
settings.YOUTUBE_API_URL/YOUTUBE_API_KEY pointed at it. `youtube_emulator_for(path, **options)` starts one
over another corpus (each corpus file loaded once per session) and stops it after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.youtube.corpus import Corpus, load_corpus
from emulators.youtube.server import EmulatorServer

DEMO_CORPUS = Path(__file__).resolve().parent.parent.parent / "discovery" / "fixtures" / "demo" / "videos.csv"
TEST_API_KEY = "test-key"

_corpora: dict[tuple[Path, int, int], Corpus] = {}


def corpus_for(path: str | Path) -> Corpus:
    """Load a corpus once per session (the shared one takes seconds); a rewritten file is loaded again."""
    resolved = Path(path).resolve()
    stat = resolved.stat() if resolved.is_file() else None
    key = (resolved, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
    if key not in _corpora:
        _corpora[key] = load_corpus(resolved)
    return _corpora[key]


@pytest.fixture(scope="session")
def demo_corpus() -> Corpus:
    return corpus_for(DEMO_CORPUS)


@pytest.fixture(scope="session")
def _youtube_emulator_session(demo_corpus: Corpus) -> Iterator[EmulatorServer]:
    server = EmulatorServer(demo_corpus).start()
    yield server
    server.stop()


@pytest.fixture
def youtube_emulator(_youtube_emulator_session: EmulatorServer, settings: Any) -> EmulatorServer:
    server = _youtube_emulator_session
    server.reset(everything=True)
    settings.YOUTUBE_API_URL = server.url
    settings.YOUTUBE_API_KEY = TEST_API_KEY
    return server


@pytest.fixture
def youtube_emulator_for(settings: Any) -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def start(path: str | Path, **options: Any) -> EmulatorServer:
        server = EmulatorServer(corpus_for(path), **options).start()
        started.append(server)
        settings.YOUTUBE_API_URL = server.url
        settings.YOUTUBE_API_KEY = TEST_API_KEY
        return server

    yield start
    for server in started:
        server.stop()
