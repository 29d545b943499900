"""Output files the user names (report, export) are written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from estore import files


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("the old report")

    def interrupted(self, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomically(out, b"the new report")
    assert out.read_text() == "the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
