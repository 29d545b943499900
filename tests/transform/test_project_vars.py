"""Every var the dbt project declares has a check, and its shipped default passes it."""

from estore.transform import project_vars


def test_every_declared_var_is_checked_and_its_default_passes():
    defaults = project_vars.declared()
    project_vars.check(defaults, where=lambda name: name)  # an unchecked var raises AssertionError
