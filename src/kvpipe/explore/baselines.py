"""The spatial pipeline against GPU servers on the same model, context and precisions.

Pure computation (docs/gpu.md, "Comparison"): one sweep over users in flight (the GPUs'
batch) per system, with the analytic models of :mod:`kvpipe.perf.spatial` and
:mod:`kvpipe.perf.gpu`. The report turns it into a figure, a table and words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from kvpipe.mapping.placement import place
from kvpipe.perf.gpu import evaluate_gpu, gpu_inputs_from_system, system_shape
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.result import PerfResult
from kvpipe.perf.spatial import evaluate
from kvpipe.system import GpuSystem, HeteroSystem, System

COMPARISON_USERS: tuple[int, ...] = (1, 16, 128, 1024, 8192)  # the rows of the report's table


@dataclass(frozen=True)
class SystemSweep:
    """One system over the users grid (arrays of the grid's length)."""

    name: str
    kind: str  # "spatial" or "gpu"
    description: str
    devices: int  # chips or GPUs
    users: np.ndarray
    users_in_flight: np.ndarray
    tokens_per_s_per_user: np.ndarray
    tokens_per_s: np.ndarray
    joules_per_token: np.ndarray
    binding: np.ndarray  # binding_limit labels
    power_w: np.ndarray

    def at(self, users: float) -> int:
        """Index of the grid point nearest ``users`` (log scale)."""
        return int(np.argmin(np.abs(np.log(self.users) - np.log(users))))


@dataclass(frozen=True)
class GpuComparison:
    model: str
    context_tokens: int
    precisions: str
    sweeps: tuple[SystemSweep, ...]  # the spatial system first

    @property
    def spatial(self) -> SystemSweep:
        return self.sweeps[0]

    @property
    def gpus(self) -> tuple[SystemSweep, ...]:
        return self.sweeps[1:]


def comparison_users(max_users: int = 10_000, per_decade: int = 12) -> np.ndarray:
    grid = np.unique(np.round(np.logspace(0, np.log10(max_users), int(np.log10(max_users) * per_decade) + 1)))
    return np.unique(np.concatenate([grid, np.asarray(COMPARISON_USERS, dtype=float)]))


def _precisions_text(system: System) -> str:
    p = system.precisions
    return f"weights {p.weights.value}, KV {p.kv.value}, activations {p.activations.value}"


def _sweep_of(name: str, kind: str, description: str, devices: int, users: np.ndarray, r: PerfResult) -> SystemSweep:
    def per_user(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, users.shape).copy()

    return SystemSweep(
        name=name, kind=kind, description=description, devices=devices, users=users,
        users_in_flight=per_user(r.users_in_flight), tokens_per_s_per_user=per_user(r.tokens_per_s_per_user),
        tokens_per_s=per_user(r.tokens_per_s), joules_per_token=per_user(r.joules_per_token),
        binding=per_user(r.binding_labels()), power_w=per_user(r.power_w),
    )


def spatial_sweep(system: System, users: np.ndarray) -> SystemSweep:
    placement = place(system.model, system.precisions, system.chip, system.mapping)
    r = evaluate(placement, inputs_from_system(system).with_(users=users))
    mem = system.kv_memory
    description = f"{r.chips} x {system.chip.name}, KV in {mem.units_per_group:g} x {mem.tech.name} per chip group"
    return _sweep_of(system.name, "spatial", description, r.chips, users, r)


def gpu_sweep(system: GpuSystem, users: np.ndarray) -> SystemSweep:
    r = evaluate_gpu(system_shape(system), gpu_inputs_from_system(system).with_(users=users))
    par = system.parallelism
    description = f"{par.gpus} x {system.gpu.name} (tensor {par.tensor} x pipeline {par.pipeline}), {system.link.name}"
    return _sweep_of(system.name, "gpu", description, par.gpus, users, r.perf)


OtherSystem = TypeVar("OtherSystem", GpuSystem, HeteroSystem)


def like_for_like(system: OtherSystem, spatial: System) -> OtherSystem:
    """``system`` serving the spatial system's model, at its precisions and context (its own
    batch, devices and parallelism kept): every comparison's way of matching two designs."""
    return replace(system, model=spatial.model, precisions=spatial.precisions,
                   workload=replace(system.workload, context_tokens=spatial.workload.context_tokens))


def compare_with_gpus(
    spatial: System, gpus: Sequence[GpuSystem], users: np.ndarray | None = None
) -> GpuComparison:
    """Sweep ``spatial`` and each GPU server over users, on the spatial system's model, context
    and precisions (the GPU systems' own are replaced so the comparison is like for like)."""
    grid = comparison_users() if users is None else np.asarray(users, dtype=np.float64)
    sweeps = (spatial_sweep(spatial, grid), *(gpu_sweep(like_for_like(g, spatial), grid) for g in gpus))
    return GpuComparison(
        model=spatial.model.name,
        context_tokens=spatial.workload.context_tokens,
        precisions=_precisions_text(spatial),
        sweeps=sweeps,
    )


__all__ = [
    "COMPARISON_USERS", "GpuComparison", "SystemSweep", "compare_with_gpus", "comparison_users", "gpu_sweep",
    "like_for_like", "spatial_sweep",
]
