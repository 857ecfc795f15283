"""The KV request stream: byte addresses of burst-sized requests, and the address mapping.

Mapping (low to high address bits, at burst granularity): channel, bank group, column
(bursts within a row), bank, row — so a sequential run spreads over all channels and bank
groups and each (channel, bank group) streams through whole rows. The closed form, the
cycle model and the trace export all use :func:`decompose`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kvpipe.memory.device import Device

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class RequestStream:
    """Requests in arrival order: burst-aligned byte address and read/write."""

    addr: I64
    is_write: NDArray[np.bool_]
    burst_bytes: int

    def __len__(self) -> int:
        return int(self.addr.shape[0])


@dataclass(frozen=True)
class DramAddress:
    channel: I64
    bank_group: I64
    column: I64  # burst index within the row
    bank: I64  # bank within its group
    row: I64


def decompose(device: Device, addr: I64) -> DramAddress:
    """Split byte addresses into (channel, bank group, column, bank, row)."""
    o = device.organization
    b = np.asarray(addr, dtype=np.int64) // o.burst_bytes
    ch = b % o.channels
    b = b // o.channels
    bg = b % o.bank_groups
    b = b // o.bank_groups
    col = b % o.bursts_per_row
    b = b // o.bursts_per_row
    bank = b % o.banks_per_group
    row = (b // o.banks_per_group) % o.rows_per_bank
    return DramAddress(channel=ch, bank_group=bg, column=col, bank=bank, row=row)


def kv_request_stream(device: Device, run_bytes: float, append_bytes: float,
                      concurrent_runs: int = 1, max_requests: int = 1_000_000,
                      interleave_requests: int | None = None, seed: int = 0) -> RequestStream:
    """Runs of ``run_bytes`` read then ``append_bytes`` written, ``concurrent_runs`` at a time.

    Each run starts at a uniformly random burst of the device: a random row stripe (so a
    random bank and row, every bank equally likely) and a random burst inside it (random
    row alignment). Concurrent runs
    take turns of ``interleave_requests`` requests (default: one request per channel and
    bank group, ``C * G``). Stops after ``max_requests`` requests (whole turns).
    """
    o = device.organization
    burst = o.burst_bytes
    n_rd = max(int(np.ceil(run_bytes / burst)), 1)
    n_wr = int(np.ceil(append_bytes / burst))
    run_len = n_rd + n_wr
    s = max(int(concurrent_runs), 1)
    k = max(int(interleave_requests or o.channels * o.bank_groups), 1)
    per_slot = int(np.ceil(max_requests / (s * k))) * k  # whole turns of every slot
    runs_per_slot = int(np.ceil(per_slot / run_len))

    # A run starts in a uniformly random row stripe (so on any bank and row, each bank with
    # probability 1/B) at a random burst of it. Runs are not kept apart: two runs overlap only
    # if they pick nearby stripes, rare on a device with thousands of rows per bank.
    stripe = o.channels * o.bank_groups * o.row_bytes
    stripes = max(int(o.capacity_bytes // stripe), 1)
    n_runs = runs_per_slot * s
    rng = np.random.default_rng(seed)
    first = rng.integers(0, stripes, size=n_runs, dtype=np.int64)
    offset = rng.integers(0, stripe // burst, size=n_runs) * burst
    base = (first * stripe + offset).reshape(runs_per_slot, s).T  # run s + S i

    j = np.arange(per_slot, dtype=np.int64)
    within = j % run_len
    addr = (base[:, j // run_len] + within[None, :] * burst) % int(o.capacity_bytes)
    write = np.broadcast_to(within >= n_rd, addr.shape)
    # slots take turns of k requests: (slot, turn, k) -> (turn, slot, k)
    order = (s, per_slot // k, k)
    addr_o = addr.reshape(order).transpose(1, 0, 2).reshape(-1)
    write_o = write.reshape(order).transpose(1, 0, 2).reshape(-1)
    n = min(max_requests, addr_o.shape[0])
    return RequestStream(addr=addr_o[:n], is_write=np.ascontiguousarray(write_o[:n]),
                         burst_bytes=burst)
