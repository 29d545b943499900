"""The error the customer-value step raises when a model cannot be fitted."""

from __future__ import annotations

from estore.errors import EstoreError


class ClvFitError(EstoreError):
    """The data cannot support a fit (too few customers or repeat buyers, no convergence, ...).

    Callers keep the previous results in place and report the message.
    """
