"""Export a request stream as trace lines for Ramulator 2 and DRAMsim3.

Formats (checked against the simulators' trace readers):

* Ramulator 2 ``LoadStoreTrace`` frontend: ``LD 0x<addr>`` / ``ST 0x<addr>``, one request
  per line; the simulator applies its own address mapper.
* Ramulator 2 ``ReadWriteTrace`` frontend: ``R <a0>,<a1>,...`` / ``W ...`` with a DRAM
  address vector, already mapped; the levels must match the standard's organisation (for
  HBM2/HBM3: channel, pseudochannel, bankgroup, bank, row, column — no rank level), so the
  caller chooses the order of the fields. kvpipe's HBM ``channels`` are pseudo-channels:
  with ``pseudo_channels=2`` the vector splits them into ``channel`` (pc // 2) and
  ``pseudochannel`` (pc % 2) (``RAMULATOR2_HBM_LEVELS``).
* DRAMsim3 trace CPU: ``0x<addr> READ|WRITE <cycle>``; a request is issued once the
  simulator's clock reaches ``<cycle>``. DRAMsim3's stock front end accepts at most one
  request per cycle in total, so a device that serves more than one burst per DRAMsim3 cycle
  (every HBM stack: 8-16 channels) is then limited by the front end, not the DRAM; drive
  DRAMsim3 from its C++ API with one ``AddTransaction`` per channel per cycle while
  ``WillAcceptTransaction`` holds, or compare per channel (docs/memory.md §9).

The address mapping is explicit: :func:`address_mapping` lists the fields from the low bits
up, and :func:`mapping_lines` is the text to write beside every trace (a trace replayed
under the simulator's own, different mapping gives 0.7-3.6x the bandwidth). The functions
return lists of strings; writing them to a file is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kvpipe.memory.device import Device
from kvpipe.memory.stream import RequestStream, decompose

RAMULATOR2_LEVELS = ("channel", "bank_group", "bank", "row", "column")
RAMULATOR2_HBM_LEVELS = ("channel", "pseudochannel", "bank_group", "bank", "row", "column")


@dataclass(frozen=True)
class AddressField:
    """One field of the address, from the low end: ``count`` values (mixed radix)."""

    name: str
    count: int

    @property
    def bits(self) -> int | None:
        """Address bits the field takes, or None when ``count`` is not a power of two."""
        return self.count.bit_length() - 1 if self.count & (self.count - 1) == 0 else None


def address_mapping(device: Device, pseudo_channels: int = 1) -> tuple[AddressField, ...]:
    """The fields of a byte address, low to high, as :func:`~kvpipe.memory.stream.decompose`
    splits it (``pseudo_channels > 1`` splits the channel field into pseudochannel, then
    channel)."""
    o = device.organization
    ch: tuple[AddressField, ...] = (AddressField("channel", o.channels),)
    if pseudo_channels > 1:
        if o.channels % pseudo_channels:
            raise ValueError(f"{o.channels} channels do not split into {pseudo_channels} pseudo-channels")
        ch = (AddressField("pseudochannel", pseudo_channels),
              AddressField("channel", o.channels // pseudo_channels))
    return (AddressField("offset", o.burst_bytes), *ch, AddressField("bank_group", o.bank_groups),
            AddressField("column", o.bursts_per_row), AddressField("bank", o.banks_per_group),
            AddressField("row", o.rows_per_bank))


_DRAMSIM3_LETTERS = {"channel": "ch", "bank_group": "bg", "column": "co", "bank": "ba", "row": "ro"}


def mapping_lines(device: Device, pseudo_channels: int = 1) -> list[str]:
    """The address mapping as text, to write beside a trace: each field with its bits, and
    the equivalent DRAMsim3 ``address_mapping`` string (one rank) where every count is a
    power of two."""
    fields = address_mapping(device, pseudo_channels)
    out = [f"# address mapping of the trace for device {device.name!r} (kvpipe.memory.stream.decompose)",
           "# fields from the low end of the byte address; mixed radix: field = (addr // below) % count"]
    low = 0
    exact = True
    for f in fields:
        b = f.bits
        if b is None:
            exact = False
            out.append(f"{f.name}: {f.count} values (not a power of two)")
        else:
            out.append(f"{f.name}: {f.count} values, bits {low}..{low + b - 1}" if b else f"{f.name}: 1 value, no bits")
            low += b
    if exact and pseudo_channels == 1:
        letters = "".join(_DRAMSIM3_LETTERS[f.name] for f in reversed(fields) if f.name in _DRAMSIM3_LETTERS)
        out.append(f"dramsim3 address_mapping: {letters[:2]}ra{letters[2:]}  (one rank; column = bursts)")
    out.append("ramulator2 LoadStoreTrace applies the simulator's own address mapper: to keep this "
               "mapping, replay the ReadWriteTrace vectors")
    return out


def ramulator2_loadstore_lines(stream: RequestStream) -> list[str]:
    """``LD 0x...`` / ``ST 0x...`` lines for Ramulator 2's LoadStoreTrace frontend."""
    ops = np.where(stream.is_write, "ST", "LD")
    return [f"{op} 0x{int(a):x}" for op, a in zip(ops, stream.addr)]


def ramulator2_readwrite_lines(device: Device, stream: RequestStream,
                               levels: Sequence[str] = RAMULATOR2_LEVELS,
                               pseudo_channels: int = 1) -> list[str]:
    """``R ch,bg,ba,ro,co`` lines (address vectors) for Ramulator 2's ReadWriteTrace.

    ``pseudo_channels``: kvpipe channels per Ramulator channel (2 for HBM2/HBM3, with
    ``levels=RAMULATOR2_HBM_LEVELS``): ``channel`` is then ``pc // 2``, ``pseudochannel``
    ``pc % 2``."""
    a = decompose(device, stream.addr)
    pcs = max(int(pseudo_channels), 1)
    fields = {"channel": a.channel // pcs, "pseudochannel": a.channel % pcs,
              "bank_group": a.bank_group, "bank": a.bank, "row": a.row,
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
