"""Shared fixture: a small generated dataset, read back independently of the generator."""

from __future__ import annotations

import pytest

from estore.generate import GenerationConfig, generate

from .support import Dataset, read_dataset


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """200k events over Oct-Nov 2019, default behaviour and dirt."""
    out = tmp_path_factory.mktemp("gen_small")
    generate(out, GenerationConfig(events=200_000, seed=7))
    return read_dataset(out)
