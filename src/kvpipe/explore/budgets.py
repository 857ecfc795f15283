"""Physical budgets of design points: silicon area, power, heat flux and what they buy.

For the seed pipeline at its operating point (the users at 90 % speed) with each memory
technology provisioned for the KV demand, and for GPU servers serving the same users:
logic and DRAM area, watts per chip group, W/mm² of the logic die and of a 3D stack (DRAM
over a logic die), and tokens/s per W and per mm² of package footprint. Formulas B1-B7 in
docs/model.md ("Physical budgets"). Pure computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kvpipe.explore.baselines import gpu_sweep, like_for_like
from kvpipe.explore.seed import ModelStudy
from kvpipe.system import GpuSystem

# (B6) the heat flux a logic die may carry with DRAM stacked on it
STACK_THERMAL_LIMIT_W_PER_MM2 = 0.5
STACK_THERMAL_LIMIT_SOURCE = (
    "[A] assumption: liquid-cooled reticle-size accelerators run at 0.6-0.9 W/mm^2 of die (H100 SXM 700 W on "
    "814 mm^2; B200 1000 W on two ~800 mm^2 dies) with logic junctions up to ~105 C; DRAM stacked on the "
    "logic must stay at or below 85 C to keep the standard refresh interval (JEDEC DDR5 JESD79-5 and HBM3 "
    "JESD238 double the refresh rate from 85 C to 95 C), and every DRAM layer adds thermal resistance between "
    "the logic and the cold plate (Kumari et al., 'Air cooling limits of 3D stacked logic processor and memory "
    "dies', ITherm 2014; Weis et al., 'Thermal aspects and high-level explorations of 3D stacked DRAMs', "
    "ISVLSI 2015): about 20 C less headroom, taken as ~0.5 W/mm^2 for logic plus the DRAM on it"
)


@dataclass(frozen=True)
class Budget:
    """One design point's physical budget at one load."""

    system: str
    kind: str  # "spatial" or "gpu"
    memory: str  # the KV memory technology (GPU: its HBM)
    users: int
    devices: int  # chips or GPUs
    tokens_per_s: float
    power_w: float  # the whole system at that load
    logic_area_mm2: float  # all logic dies
    dram_area_mm2: float  # footprint of all KV DRAM units (GPU: its HBM stacks)
    dram_stacked: bool  # 3D: the DRAM sits on the logic dies and adds no footprint
    power_w_per_group: float  # spatial: the most KV-demanding chip group; GPU: one GPU
    logic_w_per_mm2: float  # heat flux of a logic die (its own power only)
    stack_w_per_mm2: float  # 3D: logic + the DRAM over it, per logic-die area; else the logic die's
    kv_dram_w: float  # power of all KV DRAM (GPU: inside its idle and TDP figures, 0)

    @property
    def footprint_mm2(self) -> float:
        """(B4) package area: logic plus DRAM beside it (3D DRAM adds none)."""
        return self.logic_area_mm2 + (0.0 if self.dram_stacked else self.dram_area_mm2)

    @property
    def tokens_per_s_per_w(self) -> float:
        return self.tokens_per_s / self.power_w if self.power_w > 0 else float("nan")

    @property
    def tokens_per_s_per_mm2(self) -> float:
        return self.tokens_per_s / self.footprint_mm2 if self.footprint_mm2 > 0 else float("nan")

    @property
    def within_thermal_limit(self) -> bool | None:
        """3D stacks only: is the stack's heat flux within :data:`STACK_THERMAL_LIMIT_W_PER_MM2`?"""
        return self.stack_w_per_mm2 <= STACK_THERMAL_LIMIT_W_PER_MM2 if self.dram_stacked else None


def spatial_budgets(study: ModelStudy) -> tuple[Budget, ...]:
    """The pipeline at its operating point with each technology of the study provisioned."""
    h, at, chip = study.headline, study.at_operating_point, study.system.chip
    x = h.tokens_per_s_at_90pct
    logic_w = h.joules_per_token_at_users_at_90pct_speed * x  # (B2) everything but the KV memory
    w_per_chip = logic_w / h.chips
    chips_per_group = float(at.chips_per_group)
    kv_groups = study.placement.kv_groups
    out = []
    for t in study.techs:
        kv_w = t.kv_j_per_token * x  # (B2) reads, writes and background of the provisioned units
        kv_w_per_group = kv_w / kv_groups
        stacked = t.tech.attach == "3d"
        logic_flux = w_per_chip / chip.die_area_mm2  # (B5)
        stack_flux = (w_per_chip + kv_w_per_group / chips_per_group) / chip.die_area_mm2 if stacked else logic_flux
        out.append(Budget(
            system=study.system.name, kind="spatial", memory=t.tech.name, users=h.users_at_90pct_speed,
            devices=h.chips, tokens_per_s=x, power_w=logic_w + kv_w,
            logic_area_mm2=h.chips * chip.die_area_mm2,  # (B1)
            dram_area_mm2=kv_groups * t.units_per_group * t.tech.footprint_mm2,
            dram_stacked=stacked,
            power_w_per_group=w_per_chip * chips_per_group + kv_w_per_group,  # (B3)
            logic_w_per_mm2=logic_flux, stack_w_per_mm2=stack_flux, kv_dram_w=kv_w,
        ))
    return tuple(out)


def gpu_budget(system: GpuSystem, like: ModelStudy, users: int) -> Budget:
    """A GPU server on the study's model, context and precisions, serving ``users`` sequences."""
    sw = gpu_sweep(like_for_like(system, like.system), np.array([float(users)]))
    n, gpu = sw.devices, system.gpu
    power = float(sw.power_w[0])
    flux = power / n / gpu.die_area_mm2 if gpu.die_area_mm2 > 0 else float("nan")
    return Budget(
        system=system.name, kind="gpu", memory="HBM (on package)", users=int(sw.users_in_flight[0]), devices=n,
        tokens_per_s=float(sw.tokens_per_s[0]), power_w=power,
        logic_area_mm2=n * gpu.die_area_mm2, dram_area_mm2=n * gpu.hbm_footprint_mm2, dram_stacked=False,
        power_w_per_group=power / n, logic_w_per_mm2=flux, stack_w_per_mm2=flux, kv_dram_w=0.0,
    )


def budgets(study: ModelStudy, gpus: Sequence[GpuSystem] = ()) -> tuple[Budget, ...]:
    """Every provisioned technology of the study's pipeline, then each GPU server at the same users."""
    users = study.headline.users_at_90pct_speed
    return (*spatial_budgets(study), *(gpu_budget(g, study, users) for g in gpus))


__all__ = ["STACK_THERMAL_LIMIT_SOURCE", "STACK_THERMAL_LIMIT_W_PER_MM2", "Budget", "budgets", "gpu_budget", "spatial_budgets"]
