"""`make test` runs the suite on two workers (`pytest -n 2 --dist loadgroup`). A folder's tests
stay on one worker, so what they share at session scope (a generated dataset, a built
warehouse, a browser) is made once."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(item.path.parent.name))
