"""The worker guide's .env blocks, pasted as written, start every command (read in a fresh process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Verbatim from the worker guide ("Configuration" and "Adjusting for Production").
GUIDE_TESTING_BLOCK = """\
# Background Worker Configuration
WORKER_CYCLE_INTERVAL_MINUTES=5       # Testing: 5 min | Production: 360 (6 hours)
WORKER_PRODUCTS_PER_CYCLE=10          # Max products per cycle
WORKER_KEYWORDS_PER_PRODUCT=2         # Keywords to search per product
WORKER_VIDEOS_PER_KEYWORD=5           # Videos to analyze per keyword
"""
GUIDE_PRODUCTION_BLOCK = """\
# Production settings (slower, more thorough)
WORKER_CYCLE_INTERVAL_MINUTES=360     # Every 6 hours
WORKER_PRODUCTS_PER_CYCLE=50          # More products
WORKER_KEYWORDS_PER_PRODUCT=3         # More keywords
WORKER_VIDEOS_PER_KEYWORD=10          # More videos
"""
GUIDE_FASTER_BLOCK = "WORKER_CYCLE_INTERVAL_MINUTES=1  # Every 1 minute!\n"

READ = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.WORKER_CYCLE_INTERVAL_MINUTES, settings.WORKER_PRODUCTS_PER_CYCLE, "
    "settings.WORKER_KEYWORDS_PER_PRODUCT, settings.WORKER_VIDEOS_PER_KEYWORD, repr(settings.SECRET_KEY))"
)


def _settings_from_file(path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKER_", "DEBUG", "SECRET_KEY"))}
    env.update({"DJANGO_SETTINGS_MODULE": "maatchaa.settings", "MAATCHAA_DEV": "true", "MAATCHAA_ENV_FILE": str(path)})
    env.update(extra)
    return subprocess.run([sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_guides_testing_block_loads_as_written(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(GUIDE_TESTING_BLOCK)
    result = _settings_from_file(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["5", "10", "2", "5"]


def test_the_guides_production_block_loads_as_written(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(GUIDE_PRODUCTION_BLOCK + GUIDE_FASTER_BLOCK.replace("WORKER_", "# WORKER_"))
    result = _settings_from_file(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["360", "50", "3", "10"]


def test_the_guides_faster_testing_line_loads(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(GUIDE_FASTER_BLOCK)
    result = _settings_from_file(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "1"


def test_a_hash_inside_a_value_is_kept(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("SECRET_KEY=abc#def   # a comment\n")
    result = _settings_from_file(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "'abc#def'"


def test_env_example_copied_as_is_loads_with_the_guides_testing_values(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text((ROOT / ".env.example").read_text())
    result = _settings_from_file(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["5", "10", "2", "5"]
    assert GUIDE_TESTING_BLOCK in (ROOT / ".env.example").read_text()


def test_env_example_holds_the_guides_production_block_ready_to_uncomment(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    settings_lines = [line for line in GUIDE_PRODUCTION_BLOCK.splitlines() if line.startswith("WORKER_")]
    assert "".join(f"# {line}\n" for line in settings_lines) in example
    # Uncommented, and the testing lines commented out, as the file says to do.
    swapped = [
        f"# {line}" if line.startswith("WORKER_") else line[2:] if line.removeprefix("# ") in settings_lines else line
        for line in example.splitlines()
    ]
    path = tmp_path / ".env"
    path.write_text("\n".join(swapped))
    result = _settings_from_file(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["360", "50", "3", "10"]


def test_a_value_set_in_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(GUIDE_PRODUCTION_BLOCK)
    result = _settings_from_file(path, WORKER_CYCLE_INTERVAL_MINUTES="7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["7", "50"]


def test_a_missing_env_file_named_explicitly_stops_startup(tmp_path: Path) -> None:
    result = _settings_from_file(tmp_path / "nope.env")
    assert result.returncode != 0
    assert "MAATCHAA_ENV_FILE names no file" in result.stderr
