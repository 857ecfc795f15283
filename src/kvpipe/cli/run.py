"""What the commands do, between parsing arguments and printing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kvpipe import catalog
from kvpipe.cli.errors import UserError
from kvpipe.config import load_any_system, load_system
from kvpipe.explore.baselines import compare_with_gpus
from kvpipe.explore.budgets import budgets
from kvpipe.explore.memory_compare import device_study
from kvpipe.explore.seed import SeedStudy, run_seed_study
from kvpipe.catalog.ranges import stated_ranges
from kvpipe.explore.uncertainty import VERDICT_MODELS, verdict_map
from kvpipe.memory.select import NoDeviceError, with_memory_model
from kvpipe.perf import PerfResult, evaluate_system
from kvpipe.perf.gpu import GpuResult, evaluate_gpu_system
from kvpipe.report.writer import SeedReportFiles, write_seed_report
from kvpipe.system import GpuSystem, System

SEED_MOE_MODEL = "deepseek-v3"  # the MoE model of the seed study (MLA + A2E/E2A traffic)


def _check_one_user_fits(system: System, r: PerfResult) -> None:
    if float(r.users_in_flight) < 1:
        need = float(r.kv_capacity_demand_bytes_per_group) / max(float(r.users), 1.0)
        have = float(r.kv_capacity_supply_bytes_per_group)
        raise UserError(
            f"  kv_memory.units_per_group: one user's KV at context {system.workload.context_tokens} needs "
            f"{need / 1e9:.4g} GB per chip group, but the group's memory holds {have / 1e9:.4g} GB"
        )


def evaluate_file(
    path: Path, memory_model: str = "scalar"
) -> tuple[System | GpuSystem, PerfResult | GpuResult]:
    """A spatial system gives a PerfResult; a GPU system (a YAML with ``gpu:``) a GpuResult."""
    system = load_any_system(path)
    if isinstance(system, GpuSystem):
        if memory_model != "scalar":
            raise UserError("  --memory-model: a GPU system's KV lives in its HBM; only the scalar model applies")
        return system, evaluate_gpu_system(system)  # the loader checked that it fits
    try:
        system = with_memory_model(system, memory_model)
    except NoDeviceError as e:
        raise UserError(f"  kv_memory.tech: {e}") from None
    r = evaluate_system(system)
    _check_one_user_fits(system, r)
    return system, r


def seed_systems_for(base: System) -> list[System]:
    """The systems of the seed study: ``base``, and (for a dense model) its MoE twin."""
    systems = [base]
    if not base.model.is_moe:
        moe = catalog.model(SEED_MOE_MODEL)
        systems.append(replace(base, name=f"{base.name} / {SEED_MOE_MODEL}", model=moe))
    return systems


def seed_systems(config: Path | None) -> list[System]:
    return seed_systems_for(load_system(config) if config else catalog.seed_system())


def run_study(
    name: str, out: Path | None, config: Path | None, memory_model: str = "scalar"
) -> tuple[SeedStudy, SeedReportFiles]:
    if name != "seed":
        raise UserError(f"  study: unknown study {name!r} (known: seed)")
    techs = [t for t in catalog.memories() if t.name != "ideal"]
    study = run_seed_study(seed_systems(config), techs, memory_model)
    study = replace(
        study,
        gpu_comparison=compare_with_gpus(study.primary.system, gpu_baselines()),
        device_study=device_study(study.primary.system, [s.headline for s in study.studies]),
        uncertainty=verdict_map(  # on the study's own memory figures (scalar or device-model ones)
            study.primary.system, [t.tech for t in study.primary.techs], stated_ranges(study.primary.system),
            [catalog.model(m) for m in VERDICT_MODELS],
        ),
        budgets=budgets(study.primary, gpu_baselines()),
    )
    return study, write_seed_report(study, out or Path("out") / name)


GPU_BASELINES = ("h200-x8", "b200-x8")  # shipped GPU system files the seed report compares with


def gpu_baselines() -> list[GpuSystem]:
    """The GPU servers of the seed report's comparison (catalog systems/h200-x8.yaml, b200-x8.yaml)."""
    from kvpipe.config import parse_any_system_yaml

    out = []
    for name in GPU_BASELINES:
        s = parse_any_system_yaml(catalog.system_yaml(name), source=f"catalog systems/{name}.yaml", default_name=name)
        assert isinstance(s, GpuSystem)
        out.append(s)
    return out
