"""Synthetic REES46 event files with a known CLV truth and known dirt, seeded and streamed."""

from estore.generate.config import GenerationConfig
from estore.generate.generator import MANIFEST, generate

__all__ = ["MANIFEST", "GenerationConfig", "generate"]
