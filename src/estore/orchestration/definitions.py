"""The Dagster code location: every definition under estore.orchestration.defs.

`estore ui` (dagster dev with <workspace>/dagster/workspace.yaml naming this module), `dg check
defs` and `dg dev` all load this. The workspace comes from ESTORE_WORKSPACE (see estore.settings).
"""

from pathlib import Path

import dagster as dg
from dagster.components.core.component_tree import ComponentTree

from estore.orchestration import defs as defs_package


@dg.definitions
def defs() -> dg.Definitions:
    here = Path(__file__).resolve().parent
    if any(_is_estore_project(p / "pyproject.toml") for p in here.parents):
        # a source checkout: the dg project configured in pyproject.toml [tool.dg]
        return dg.load_from_defs_folder(path_within_project=here)
    # an installed wheel has no pyproject.toml: load the same defs package directly
    return ComponentTree.from_module(defs_module=defs_package, project_root=here).build_defs()


def _is_estore_project(pyproject: Path) -> bool:
    return pyproject.is_file() and 'defs_module = "estore.orchestration.defs"' in pyproject.read_text()
