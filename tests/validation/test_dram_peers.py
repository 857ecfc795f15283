"""kvpipe's closed form and cycle model against DRAMsim3 (validation/dram-peers.csv).

Targets on every row: cycle model within 10 % of the peer's bandwidth and 0.05 of its row-hit
rate, closed form within 15 %, pJ/bit within 10 % (both models, with the peer's IDD currents
and no interface energy, as DRAMsim3 counts).

Independent check of the device files: the HBM2 x128 peak is 8 channels x 128 bit x 2 Gb/s /
8 = 256 GB/s; with one ACT per 64 B burst the tFAW window (4 ACTs / 30 ns) allows
4 x 64 B / 30 ns = 8.53 GB/s per channel = 68.3 GB/s, less all-bank refresh
(260 + 14 + 14) / 3900 = 7.4 % -> 63.2 GB/s: the peer's 62.3-64.0 GB/s for random and
32-user access. Energy of a random burst from the ini's currents: ACT 1.2 V x (65 x 48 - 55 x
34 - 40 x 14) mA ns = 828 pJ, read 1.2 x (390 - 55) mA x 2 ns = 804 pJ -> (828 + 804) / 512 bit
= 3.19 pJ/bit, standby 1.2 V x 55 mA x 8 / 63.2 GB/s / 8 = 1.04 pJ/bit, refresh
1.2 x 195 mA x 260 / 3900 x 8 / (8 x 63.2 GB/s) = 0.25 pJ/bit: 4.48 pJ/bit (peer 4.48).
"""

from __future__ import annotations

import pytest

from kvpipe.validation.dram_peers import (
    compare_peer,
    default_devices_dir,
    default_peers_csv,
    load_device,
    read_peer_rows,
)

ROWS = read_peer_rows(default_peers_csv())


def test_every_row_names_its_peer_configuration() -> None:
    assert len(ROWS) >= 5
    for r in ROWS:
        assert r.peer == "DRAMsim3" and r.peer_config.endswith(".ini")
        assert (default_devices_dir() / r.kvpipe_device).is_file()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.kvpipe_device}-{r.pattern}" for r in ROWS])
def test_models_meet_the_peer_targets(row) -> None:  # noqa: ANN001 - a PeerRow
    c = compare_peer(row, load_device(row.kvpipe_device, default_devices_dir()), n_requests=200_000)
    assert c.bw_error(c.cycle) == pytest.approx(0.0, abs=0.10)
    assert c.cycle.row_hit_rate == pytest.approx(row.peer_row_hit_rate, abs=0.05)
    assert c.bw_error(c.closed) == pytest.approx(0.0, abs=0.15)
    assert c.energy_error(c.cycle) == pytest.approx(0.0, abs=0.10)
    assert c.energy_error(c.closed) == pytest.approx(0.0, abs=0.10)


def test_hbm2_random_by_hand() -> None:
    row = next(r for r in ROWS if r.pattern.startswith("uniform random")
               and "hbm2" in r.kvpipe_device)
    c = compare_peer(row, load_device(row.kvpipe_device, default_devices_dir()), n_requests=100_000)
    assert c.closed.bw_bytes_per_s == pytest.approx(63.2e9, rel=0.01)
    assert c.closed.j_per_bit == pytest.approx(4.48e-12, rel=0.01)
