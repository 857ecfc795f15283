"""Export a request stream as trace lines for Ramulator 2 and DRAMsim3.

Formats (checked against the simulators' trace readers):

* Ramulator 2 ``LoadStoreTrace`` frontend: ``LD 0x<addr>`` / ``ST 0x<addr>``, one request
  per line; the simulator applies its own address mapper.
* Ramulator 2 ``ReadWriteTrace`` frontend: ``R <a0>,<a1>,...`` / ``W ...`` with a DRAM
  address vector, already mapped; the levels must match the standard's organisation (for
  HBM3: channel, pseudochannel, rank, bankgroup, bank, row, column), so the caller chooses
  the order of our (channel, bank_group, bank, row, column) fields.
* DRAMsim3 trace CPU: ``0x<addr> READ|WRITE <cycle>``; a request is issued once the
  simulator's clock reaches ``<cycle>``.

The functions return lists of strings; writing them to a file is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kvpipe.memory.device import Device
from kvpipe.memory.stream import RequestStream, decompose

RAMULATOR2_LEVELS = ("channel", "bank_group", "bank", "row", "column")


def ramulator2_loadstore_lines(stream: RequestStream) -> list[str]:
    """``LD 0x...`` / ``ST 0x...`` lines for Ramulator 2's LoadStoreTrace frontend."""
    ops = np.where(stream.is_write, "ST", "LD")
    return [f"{op} 0x{int(a):x}" for op, a in zip(ops, stream.addr)]


def ramulator2_readwrite_lines(device: Device, stream: RequestStream,
                               levels: Sequence[str] = RAMULATOR2_LEVELS) -> list[str]:
    """``R ch,bg,ba,ro,co`` lines (address vectors) for Ramulator 2's ReadWriteTrace."""
    a = decompose(device, stream.addr)
    fields = {"channel": a.channel, "bank_group": a.bank_group, "bank": a.bank, "row": a.row,
              "column": a.column, "zero": np.zeros_like(a.row)}
    unknown = [lv for lv in levels if lv not in fields]
    if unknown:
        raise ValueError(f"unknown address levels {unknown}; use {sorted(fields)}")
    cols = np.stack([fields[lv] for lv in levels], axis=1)
    ops = np.where(stream.is_write, "W", "R")
    return [f"{op} {','.join(str(int(x)) for x in vec)}" for op, vec in zip(ops, cols)]


def arrival_cycles(device: Device, n: int, bw_bytes_per_s: float | None = None) -> np.ndarray:
    """Issue cycles (of the device's tCK) for ``n`` requests offered at ``bw_bytes_per_s``
    (default: the unit's peak), i.e. request ``i`` at ``floor(i * burst / bw / tCK)``."""
    bw = bw_bytes_per_s or device.peak_bw_bytes_per_s
    per_request_s = device.organization.burst_bytes / bw
    return np.floor(np.arange(n) * per_request_s / device.timing.t_ck_s).astype(np.int64)


def dramsim3_lines(device: Device, stream: RequestStream,
                   bw_bytes_per_s: float | None = None) -> list[str]:
    """``0x<addr> READ|WRITE <cycle>`` lines for DRAMsim3's trace-based CPU."""
    cyc = arrival_cycles(device, len(stream), bw_bytes_per_s)
    ops = np.where(stream.is_write, "WRITE", "READ")
    return [f"0x{int(a):x} {op} {int(c)}" for a, op, c in zip(stream.addr, ops, cyc)]
