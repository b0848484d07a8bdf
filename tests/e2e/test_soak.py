"""5,000 scan/refresh cycles with real socket churn: memory, descriptors and threads stay flat."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from bench.soak import run_soak

pytestmark = pytest.mark.e2e


def test_soak_5000_cycles(qapp: QApplication) -> None:
    r = run_soak(5000)
    print(f"\nsoak: {r}")
    assert r.cycles == 5000
    assert r.rss_growth < 0.10, r
    assert r.fds_end <= r.fds_warm, r  # not counting the test's own sockets
    assert r.threads_end == r.threads_warm, r
