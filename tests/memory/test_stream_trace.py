"""The KV request stream, its address mapping, and the trace exports."""

from __future__ import annotations

import numpy as np
import pytest

from kvpipe import catalog
from kvpipe.memory import (
    decompose,
    dramsim3_lines,
    kv_request_stream,
    ramulator2_loadstore_lines,
    ramulator2_readwrite_lines,
)


def test_stream_shape_and_interleaving() -> None:
    d = catalog.device("HBM3")
    # runs of 64 KiB (2048 bursts) + 4 KiB append (128 bursts), two at a time
    s = kv_request_stream(d, 65536, 4096, concurrent_runs=2, max_requests=2 * 2176)
    assert len(s) == 2 * 2176
    assert int(s.is_write.sum()) == 2 * 128
    assert np.all(s.addr % 32 == 0)
    # turns of C x G = 128 requests alternate between the two runs
    first, second = s.addr[:128], s.addr[128:256]
    assert np.all(np.diff(first) == 32) and np.all(np.diff(second) == 32)
    assert abs(int(second[0]) - int(first[0])) > 65536 + 4096


@pytest.mark.parametrize("name", ["FG-3D", "HBM3"])
def test_runs_start_on_every_bank_alike(name: str) -> None:
    # 16-token runs (64 KiB) are shorter than a row stripe: each run's first burst picks a
    # bank uniformly. Over 2,000 runs each of the B banks (2 on FG-3D, 8 on HBM3) gets 1/B of
    # them; the binomial spread is sqrt((1 - 1/B) / (2000 / B)) = 2 % (B = 2) or 6 % (B = 8)
    # of 1/B, so +-25 % is >= 4 sigma. (A placement on even banks only gave 2/B and 0.)
    d = catalog.device(name)
    o = d.organization
    run_bursts = 16 * 4096 // o.burst_bytes
    s = kv_request_stream(d, 16 * 4096, 0, max_requests=2000 * run_bursts)
    firsts = s.addr.reshape(-1, run_bursts)[:, 0]
    share = np.bincount(decompose(d, firsts).bank, minlength=o.banks_per_group) / firsts.size
    assert np.all(np.abs(share * o.banks_per_group - 1.0) < 0.25), share


def test_mapping_sends_consecutive_bursts_across_channels_then_groups() -> None:
    d = catalog.device("HBM3")
    a = decompose(d, np.arange(0, 32 * 32 * 4 * 2, 32))
    assert list(a.channel[:33]) == list(range(32)) + [0]
    assert a.bank_group[32] == 1 and a.column[128] == 1
    assert np.all(a.row == 0) and np.all(a.bank == 0)


def test_trace_formats() -> None:
    d = catalog.device("GDDR6")
    s = kv_request_stream(d, 4096, 64, max_requests=130)
    ls = ramulator2_loadstore_lines(s)
    assert ls[0].startswith("LD 0x") and ls[-1].startswith("ST 0x")
    assert int(ls[1].split()[1], 16) - int(ls[0].split()[1], 16) == 32
    rw = ramulator2_readwrite_lines(d, s)
    op, vec = rw[0].split()
    assert op == "R" and len(vec.split(",")) == 5
    ds = dramsim3_lines(d, s)
    addr, op, cycle = ds[2].split()
    assert addr.startswith("0x") and op == "READ"
    # offered at the peak 64 GB/s: one 32 B request every 0.5 ns = 1 tCK of 0.5 ns
    assert int(cycle) == 2


def test_ramulator_vectors_split_pseudo_channels() -> None:
    # HBM3: 32 pseudo-channels of 32 B bursts. Address 3 x 32 is kvpipe channel 3, which
    # Ramulator 2's HBM3 (levels channel, pseudochannel, bankgroup, bank, row, column) calls
    # channel 1, pseudochannel 1; address 32 x 32 + 0 wraps to channel 0 of bank group 1.
    from kvpipe.memory import RAMULATOR2_HBM_LEVELS, RequestStream

    d = catalog.device("HBM3")
    s = RequestStream(addr=np.array([3 * 32, 32 * 32], dtype=np.int64),
                      is_write=np.array([False, True]), burst_bytes=32)
    lines = ramulator2_readwrite_lines(d, s, RAMULATOR2_HBM_LEVELS, pseudo_channels=2)
    assert lines == ["R 1,1,0,0,0,0", "W 0,0,1,0,0,0"]


def test_mapping_lines_name_every_field_and_the_dramsim3_string() -> None:
    from kvpipe.memory import address_mapping, mapping_lines

    d = catalog.device("HBM3")
    # 32 B bursts (5 bits), 32 channels (5), 4 groups (2), 32 bursts per 1 KiB row (5),
    # 8 banks (3), 16384 rows (14): 34 bits = 16 GiB
    assert [f.bits for f in address_mapping(d)] == [5, 5, 2, 5, 3, 14]
    text = "\n".join(mapping_lines(d))
    assert "channel: 32 values, bits 5..9" in text and "row: 16384 values, bits 20..33" in text
    assert "dramsim3 address_mapping: rorabacobgch" in text
    assert "pseudochannel: 2 values, bits 5..5" in "\n".join(mapping_lines(d, pseudo_channels=2))
