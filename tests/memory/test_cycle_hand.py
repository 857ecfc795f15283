"""The cycle-level model on cases small enough to check by hand (tiny device, tCK = 1)."""

from __future__ import annotations

import numpy as np
from conftest import tiny  # tests/memory/conftest.py

from kvpipe.config.devices import parse_device
from kvpipe.memory import Controller, RequestStream, simulate


def _reads(addresses: list[int] | np.ndarray) -> RequestStream:
    a = np.asarray(addresses, dtype=np.int64)
    return RequestStream(addr=a, is_write=np.zeros(a.shape, bool), burst_bytes=4)


def test_single_bank_streams_one_row() -> None:
    # 8 bursts of 4 B fill the 32 B row of the only bank.
    # ACT at 0; first RD at tRCD = 10; then one RD every max(tCCD, burst) = 4 cycles:
    # 10, 14, ..., 38. The last data beat ends at 38 + tCL 5 + burst 4 = 47.
    dev = parse_device(tiny())
    r = simulate(dev, _reads(range(0, 32, 4)))
    assert r.cycles == 47
    assert (r.activations, r.reads, r.precharges) == (1, 8, 0)
    assert r.row_hit_rate == 1 - 1 / 8


def test_row_switch_in_one_bank() -> None:
    # Row 0 (addresses 0..28), then row 1 (32..60) of the same bank. Row 0 as above, last RD
    # at 38. PRE waits for max(ACT + tRAS = 20, RD + tRTP = 40) = 40; ACT at PRE + tRP = 50
    # (tRC from ACT 0 is 30, already met); RDs at 60, 64, ..., 88; end 88 + 9 = 97.
    dev = parse_device(tiny())
    r = simulate(dev, _reads(range(0, 64, 4)))
    assert r.cycles == 97
    assert (r.activations, r.precharges, r.reads) == (2, 1, 16)


def test_refresh_dominated() -> None:
    # All-bank refresh every tREFI = 100 cycles for tRFC = 40, one row of 64 bursts read.
    # Reads run at 10 + 4k. The refresh is taken at the first issue time >= its due time:
    #   due 100: RD at 102 -> PRE at max(ACT 0 + tRAS, 102 + tRTP) = 104, REF at 114,
    #            banks blocked to 154; ACT 154, RDs 164 + 4j (24 reads were done).
    #   due 200: RD at 200 (10 more) -> PRE 202, REF 212, ACT 252, RDs 262 + 4i.
    #   due 300: RD at 302 (11 more) -> PRE 304, REF 314, ACT 354, RDs 364 + 4i.
    #   due 400: RD at 400 (10 more) -> PRE 402, REF 412, ACT 452, RDs 462 + 4i.
    #   The last 64 - 55 = 9 reads: 462 ... 494; end 494 + tCL 5 + burst 4 = 503.
    # Without refresh the same reads end at 10 + 63 * 4 + 9 = 271: refresh takes ~46 %.
    d = tiny(organization={"row_bytes": 256}, timing={"refresh": "all_bank"})
    dev = parse_device(d)
    r = simulate(dev, _reads(range(0, 256, 4)))
    assert r.cycles == 503
    assert (r.refreshes, r.activations, r.reads) == (4, 5, 64)
    no_ref = simulate(parse_device(tiny(organization={"row_bytes": 256})),
                      _reads(range(0, 256, 4)))
    assert no_ref.cycles == 271


def test_tfaw_limited() -> None:
    # Eight bank groups of one bank, rows of one burst: every request needs its own ACT.
    # Addresses 0, 4, ..., 60 map to bank groups 0..7 of row 0, then of row 1.
    # tRRD = 2 would allow an ACT every 2 cycles, but tFAW = 40 allows 4 per 40 cycles:
    #   ACTs at 0, 2, 4, 6 | 40, 42, 44, 46 | 80, 82, 84, 86 | 120, 122, 124, 126
    #   (PREs of the second-row banks happen at 20..26 and 60..66, off the critical path).
    # Each RD issues at ACT + tRCD and the data bus needs 4 cycles per burst, so the last
    # RD is at 126 + 10 = 136 ... but bus spacing from the earlier RDs (130, 134, 138, 142)
    # puts it at 142; end 142 + tCL 5 + burst 4 = 151.
    d = tiny(organization={"bank_groups": 8, "row_bytes": 4})
    dev = parse_device(d)
    r = simulate(dev, _reads(range(0, 64, 4)))
    assert r.cycles == 151
    assert (r.activations, r.reads) == (16, 16)
    assert r.row_hit_rate == 0.0
    # With tFAW = 4 x tRRD the window no longer binds and the data bus does:
    # ACTs every 2 cycles, RDs 4 apart from 10: last RD 10 + 15 * 4 = 70, end 79.
    free = parse_device(tiny(organization={"bank_groups": 8, "row_bytes": 4},
                                 timing={"tFAW": "8 nCK"}))
    assert simulate(free, _reads(range(0, 64, 4))).cycles == 79


def test_32_activate_window() -> None:
    # 8 bank groups x 4 banks, rows of one burst: requests 0..31 open 32 different banks
    # (group, then bank), requests 32..39 the next row of banks 0..7. tRRD = 2, tFAW = 8
    # (not binding): ACT k at 2k for k < 32; RD k at 10 + 4k (data bus), RD 31 at 134.
    # Without t32AW: ACTs 32..39 come early, the bus binds: RD 39 at 10 + 4 x 39 = 166,
    # end 166 + tCL 5 + burst 4 = 175.
    # t32AW = 200: ACT k >= ACT (k - 32) + 200 = 200 + 2 (k - 32); RD 32 at 210, then every
    # 4 cycles: RD 39 at 238, end 238 + 5 + 4 = 247.
    org = {"bank_groups": 8, "banks_per_group": 4, "row_bytes": 4}
    reads = _reads(range(0, 160, 4))
    free = parse_device(tiny(organization=org, timing={"tFAW": "8 nCK"}))
    assert simulate(free, reads).cycles == 175
    win = parse_device(tiny(organization=org, timing={"tFAW": "8 nCK", "t32AW": "200 nCK"}))
    r = simulate(win, reads)
    assert r.cycles == 247
    assert r.activations == 40


def test_reads_pass_waiting_writes() -> None:
    # 4 reads of row 0, then 4 writes to the same row, then 4 reads (all row hits).
    # Reads at 10, 14, 18, 22. The first write must wait tRTW = 8 after a read (30), while
    # the younger reads are ready at 26: FR-FCFS issues whichever hit can go first, so the
    # reads run on at 26, 30, 34, 38 and the writes follow at 38 + 8 = 46, 50, 54, 58.
    # End: 58 + tCWL 3 + burst 4 = 65.
    dev = parse_device(tiny())
    a = np.array([0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12], dtype=np.int64)
    w = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    r = simulate(dev, RequestStream(addr=a, is_write=w, burst_bytes=4))
    assert r.cycles == 65
    assert (r.reads, r.writes, r.activations) == (8, 4, 1)


def test_write_to_read_turnaround() -> None:
    # 4 writes then 4 reads of row 0. Writes at tRCD = 10, 14, 18, 22 (the older write wins
    # the tie with a read at 10). A read must wait for the write data to end plus tWTR:
    # 22 + tCWL 3 + burst 4 + tWTR 4 = 33; reads 33, 37, 41, 45; end 45 + tCL 5 + 4 = 54.
    dev = parse_device(tiny())
    a = np.array([0, 4, 8, 12, 16, 20, 24, 28], dtype=np.int64)
    w = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    r = simulate(dev, RequestStream(addr=a, is_write=w, burst_bytes=4))
    assert r.cycles == 54


def test_per_bank_queue_holds_the_next_bank_at_the_door() -> None:
    # Two banks (rows of 8 bursts): reads 0, 4 (bank 0) and 32 (bank 1).
    # Shared queue of 3: ACT b0 at 0, ACT b1 at 2 (tRRD); RD 0 at 10, RD 4 at 14 (4-cycle
    # bus), RD 32 at 18; end 18 + tCL 5 + burst 4 = 27.
    # One request per bank queue: read 4 waits at the door for read 0, and read 32 behind it.
    # RD 0 at 10 lets both in; ACT b1 at 10, RD 4 at 14, RD 32 at 10 + tRCD 10 = 20; end 29.
    dev = parse_device(tiny(organization={"banks_per_group": 2}))
    reads = _reads([0, 4, 32])
    assert simulate(dev, reads, Controller(queue_depth=3)).cycles == 27
    assert simulate(dev, reads, Controller(queue_depth=1, queue_structure="per_bank")).cycles == 29


def test_closed_page_activates_per_request_without_queued_hits() -> None:
    # 8 reads of one row, a queue of 1: open page keeps the row (1 ACT); closed page closes it
    # after each read, since no queued request hits it then (8 ACTs, 8 PREs).
    dev = parse_device(tiny())
    reads = _reads(range(0, 32, 4))
    assert simulate(dev, reads, Controller(queue_depth=1)).activations == 1
    closed = simulate(dev, reads, Controller(queue_depth=1, row_policy="closed"))
    assert (closed.activations, closed.precharges) == (8, 8)


def test_max_row_hits_lets_a_waiting_row_in() -> None:
    # One bank: 8 reads of row 0, then one of row 1, all queued. Open page serves the 8 hits,
    # then row 1: 2 ACTs. With at most 2 hits per opening while row 1 waits: row 0 (2 hits),
    # row 1, row 0 again (the 6 left): 3 ACTs.
    dev = parse_device(tiny())
    reads = _reads([*range(0, 32, 4), 32])
    assert simulate(dev, reads, Controller(queue_depth=16)).activations == 2
    assert simulate(dev, reads, Controller(queue_depth=16, max_row_hits=2)).activations == 3
