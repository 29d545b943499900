from __future__ import annotations

import pandas as pd
import pytest

from .support import lifetimes_datasets


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """2357 CDNOW customers, 39-week calibration, time in weeks."""
    return lifetimes_datasets.load_cdnow_summary()


@pytest.fixture(scope="session")
def cdnow_monetary() -> pd.DataFrame:
    return lifetimes_datasets.load_cdnow_summary_data_with_monetary_value()
