"""Project-wide pytest fixtures: the emulators' fixtures live in emulators/testing/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest_plugins = [
    "emulators.testing.youtube_fixtures",
    "emulators.testing.shopify_fixtures",
]


@pytest.fixture(scope="session")
def _emulator_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator-state")


@pytest.fixture(autouse=True)
def _emulator_state_outside_the_checkout(settings: Any, _emulator_state_dir: Path, request: Any) -> None:
    """`demo` keeps the Shopify emulator's tokens in SHOPIFY_EMULATOR_STATE (var/ by default): a test's
    go to a file of its own, never to the checkout's."""
    settings.SHOPIFY_EMULATOR_STATE = _emulator_state_dir / f"{request.node.name[:80]}.json"
    # evaluate_matching keeps its vectors in VECTOR_CACHE_DIR (var/ by default): a test's start empty.
    settings.VECTOR_CACHE_DIR = _emulator_state_dir / "vector-cache" / request.node.name[:80]
