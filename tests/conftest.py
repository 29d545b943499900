"""`make test` runs the suite on two workers (`pytest -n 2`). Each folder's tests run on one
worker, in their usual order, so what they share at session scope (a generated dataset, a built
warehouse, a browser, the Dagster workspace) is made once.

xdist's own `--dist loadgroup` cannot do this with pytest 9.2: it groups by editing node ids,
which pytest no longer reads (pytest-dev/pytest-xdist#1386). The scheduler below groups by the
folder in the node id instead.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":  # `-n 2` means --dist load; another --dist keeps its own
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByFolder(LoadScopeScheduling):
        """xdist's module-by-module scheduling, with a folder as the unit instead of a module."""

        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0].rpartition("/")[0]

    return ByFolder(config, log)
