"""Per-bank refresh on scattered access: the closed form's loss against the cycle model's.

Random 1-burst requests leave every bank mostly idle on HBM2 (tFAW binds first), so the one
bank being refreshed costs little: the cycle model loses under 1 % to refresh. The closed
form charges ``(tRFCpb + tRP) / tREFI x rho``; on HBM2 ``(160 + 14) / 3900 = 4.5 %`` times a
bank utilisation ``rho`` of ~0.45 -> 2 %. On FG-3D (2 banks per grain, bank-bound) ``rho`` is
1 and both lose ``(160 + 14) / 1950 = 8.9 %``.
"""

from __future__ import annotations

import pytest

from kvpipe import catalog
from kvpipe.config.devices import parse_device
from kvpipe.memory import KVPattern, analytic, simulate_kv


def _losses(name: str) -> tuple[float, float]:
    dd = catalog.device_dict(name)
    d = parse_device(dd)
    dd["timing"]["refresh"] = "none"
    none = parse_device(dd)
    p = KVPattern(run_bytes=d.organization.burst_bytes, append_bytes=0)
    cyc = 1 - (simulate_kv(d, p, n_requests=60_000).effective_bw_bytes_per_s
               / simulate_kv(none, p, n_requests=60_000).effective_bw_bytes_per_s)
    return cyc, float(analytic(d, p).refresh_loss)


@pytest.mark.parametrize(("name", "expected"), [("HBM2", 0.02), ("LPDDR5X", 0.034), ("FG-3D", 0.089)])
def test_per_bank_refresh_loss_on_random_access(name: str, expected: float) -> None:
    cyc, closed = _losses(name)
    assert closed == pytest.approx(expected, abs=0.005)
    assert closed == pytest.approx(cyc, abs=0.03)
