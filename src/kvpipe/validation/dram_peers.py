"""Comparing kvpipe's DRAM models with other DRAM simulators (``validation/dram-peers.csv``).

Each row is one device and access pattern run through a peer simulator (DRAMsim3 so far) by
someone else, with its figures: bandwidth, row-hit rate, energy per bit from the peer's IDD
currents. ``kvpipe_device`` names a device file in ``validation/devices/`` that describes the
peer's configuration file (each figure cited there); ``run_bytes``, ``append_bytes``,
``concurrent_runs`` give the pattern (``kv_request_stream``) and ``queue_depth`` the scheduler
window per channel. Both kvpipe models are evaluated on it: the closed form and the cycle
model. Targets (docs/memory.md, "Agreement with DRAMsim3"): cycle model within 10 % of the
peer's bandwidth and 0.05 of its hit rate, closed form within 15 %, pJ/bit within 10 %.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from kvpipe.config import devices as config_devices
from kvpipe.memory import Controller, Device, KVPattern, analytic
from kvpipe.validation.published import ValidationDataError, _default

PEER_COLUMNS = ("device", "pattern", "peer", "peer_bw_gb_s", "peer_row_hit_rate", "peer_pj_per_bit",
                "peer_config", "kvpipe_device", "run_bytes", "append_bytes", "concurrent_runs",
                "queue_depth")


@dataclass(frozen=True)
class PeerRow:
    device: str
    pattern: str
    peer: str
    peer_config: str
    peer_bw_bytes_per_s: float
    peer_row_hit_rate: float
    peer_j_per_bit: float
    kvpipe_device: str
    kv: KVPattern
    controller: Controller


@dataclass(frozen=True)
class ModelFigures:
    bw_bytes_per_s: float
    row_hit_rate: float
    j_per_bit: float


@dataclass(frozen=True)
class PeerComparison:
    row: PeerRow
    closed: ModelFigures
    cycle: ModelFigures

    def bw_error(self, fig: ModelFigures) -> float:
        return fig.bw_bytes_per_s / self.row.peer_bw_bytes_per_s - 1.0

    def energy_error(self, fig: ModelFigures) -> float:
        return fig.j_per_bit / self.row.peer_j_per_bit - 1.0


def default_peers_csv() -> Path:
    return _default("dram-peers.csv")


def default_devices_dir() -> Path:
    return _default("devices")


def read_peer_rows(path: str | Path) -> list[PeerRow]:
    """Rows of a peer CSV; a missing column or a bad number raises :class:`ValidationDataError`."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in PEER_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationDataError([("header", f"missing column(s) {', '.join(missing)}")],
                                      str(path))
        return [_row(r, f"{path}:{i + 2}") for i, r in enumerate(reader)]


def _row(r: dict[str, str], where: str) -> PeerRow:
    try:
        return PeerRow(
            device=r["device"], pattern=r["pattern"], peer=r["peer"], peer_config=r["peer_config"],
            peer_bw_bytes_per_s=float(r["peer_bw_gb_s"]) * 1e9,
            peer_row_hit_rate=float(r["peer_row_hit_rate"]),
            peer_j_per_bit=float(r["peer_pj_per_bit"]) * 1e-12,
            kvpipe_device=r["kvpipe_device"],
            kv=KVPattern(run_bytes=float(r["run_bytes"]), append_bytes=float(r["append_bytes"]),
                         concurrent_runs=int(r["concurrent_runs"])),
            controller=Controller(queue_depth=int(r["queue_depth"])),
        )
    except ValueError as e:
        raise ValidationDataError([(where, str(e))], where.rsplit(":", 1)[0]) from e


def load_device(name: str, folder: str | Path) -> Device:
    """The device file ``name`` of ``folder``, read as every device file is."""
    return config_devices.load_device(Path(folder) / name)


def compare_peer(row: PeerRow, device: Device, n_requests: int = 1_000_000,
                 seed: int = 0) -> PeerComparison:
    """The closed form and the cycle model (``n_requests``) on the row's pattern."""
    from kvpipe.memory.cycle import simulate_kv

    f = analytic(device, row.kv, row.controller)
    c = simulate_kv(device, row.kv, n_requests=n_requests, controller=row.controller, seed=seed)
    return PeerComparison(
        row=row,
        closed=ModelFigures(float(f.effective_bw_bytes_per_s), float(f.row_hit_rate),
                            float(f.total_j_per_bit)),
        cycle=ModelFigures(c.effective_bw_bytes_per_s, c.row_hit_rate, c.total_j_per_bit),
    )


def compare_peers(path: str | Path | None = None, devices: str | Path | None = None,
                  n_requests: int = 1_000_000) -> list[PeerComparison]:
    rows = read_peer_rows(path or default_peers_csv())
    folder = devices or default_devices_dir()
    cache: dict[str, Device] = {}
    out = []
    for r in rows:
        if r.kvpipe_device not in cache:
            cache[r.kvpipe_device] = load_device(r.kvpipe_device, folder)
        out.append(compare_peer(r, cache[r.kvpipe_device], n_requests))
    return out
