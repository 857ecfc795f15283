"""The seed study as a whole: each model's study (:mod:`kvpipe.explore.seed`) and the
comparisons built on them (GPU servers, DRAM devices, designs, uncertainty, physical budgets),
which the CLI attaches after :func:`run_seed_study`. Pure computation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kvpipe.explore.baselines import GpuComparison
from kvpipe.explore.budgets import Budget
from kvpipe.explore.designs import DesignComparison
from kvpipe.explore.memory_compare import DeviceStudy
from kvpipe.explore.seed import ModelStudy, find_hbm3e, study_model
from kvpipe.explore.uncertainty import Uncertainty
from kvpipe.hardware.parts import MemoryTech
from kvpipe.memory import Device
from kvpipe.system import System


@dataclass(frozen=True)
class SeedStudy:
    studies: tuple[ModelStudy, ...]
    memory_model: str = "scalar"  # fidelity of the memory figures: scalar | analytic | cycle
    gpu_comparison: GpuComparison | None = None  # the primary system vs GPU servers (explore/baselines.py)
    device_study: DeviceStudy | None = None  # DRAM devices at the primary KV pattern (explore/memory_compare.py)
    designs: DesignComparison | None = None  # GPU only vs attention-FFN split vs stacked KV (explore/designs.py)
    # the claim factors over the inputs' ranges, contexts and models, primary model first (explore/uncertainty.py)
    uncertainty: tuple[Uncertainty, ...] = ()
    budgets: tuple[Budget, ...] = ()  # area, power and heat flux per design point (explore/budgets.py)

    @property
    def primary(self) -> ModelStudy:
        return self.studies[0]


def run_seed_study(
    systems: Sequence[System], techs: Sequence[MemoryTech], memory_model: str = "scalar",
    on_model: Callable[[str], None] | None = None, devices: Mapping[str, Device] | None = None,
) -> SeedStudy:
    """The seed study over several systems (the first is the primary one); ``on_model(name)`` is
    called before each system's study (progress); ``devices``: the device descriptions the
    memories name, by name (for the analytic and cycle memory models)."""
    if not systems:
        raise ValueError("the seed study needs at least one system")
    find_hbm3e(techs)
    studies = []
    for s in systems:
        if on_model is not None:
            on_model(s.model.name)
        studies.append(study_model(s, techs, memory_model=memory_model, devices=devices))
    return SeedStudy(tuple(studies), memory_model)
