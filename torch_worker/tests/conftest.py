"""Fixtures: where the shared reference files and the models are, and loaded tiny models.

$TVB_SHARED (default: ../shared beside the repository) holds reference/tiny/<family>/ and
reference/smollm2-135m-instruct-q4_1/; $BENCH_MODELS (default: ./models) holds the GGUF files.
"""

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAMILIES = ("llama", "mistral", "qwen3", "mixtral", "gemma3")


def shared_dir() -> Path:
    # Absolute: tests link files from it into temporary folders, where a relative path would dangle.
    return Path(os.environ.get("TVB_SHARED", REPO.parent / "shared")).resolve()


def models_dir() -> Path:
    return Path(os.environ.get("BENCH_MODELS", REPO / "models"))


def tiny_dir(family: str) -> Path:
    path = shared_dir() / "reference" / "tiny" / family
    if not path.is_dir():
        pytest.fail(f"{path} is missing: set TVB_SHARED to the shared folder")
    return path


def golden(family: str) -> dict:
    return json.loads((tiny_dir(family) / "golden.json").read_text())


_cache = {}


def load_tiny(family: str, **options):
    """The tiny checkpoint loaded by the worker's own `load` (cached per options)."""
    from torch_worker.loading import load_model

    key = (family, tuple(sorted(options.items())))
    if key not in _cache:
        _cache[key] = load_model({"model": str(tiny_dir(family)), "device": "cpu", "dtype": "float32", **options})
    return _cache[key]
