"""Shared fixtures for the end-to-end tests: the hilo binary that `make` built."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def hilo_bin() -> str:
    path = os.environ.get("HILO_BIN", str(ROOT / ".build" / "release" / "hilo"))
    assert os.path.exists(path), f"hilo binary not found at {path}: run through make"
    return path
