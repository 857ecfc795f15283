"""What the commands do, between parsing arguments and printing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kvpipe import catalog
from kvpipe.catalog.ranges import stated_ranges
from kvpipe.cli.errors import UserError
from kvpipe.cli.kinds import Evaluation, load_kind
from kvpipe.cli.progress import Update
from kvpipe.config import load_system, parse_gpu_system, read_yaml, seed_system
from kvpipe.config.hetero import load_hetero_system
from kvpipe.explore.baselines import compare_with_gpus
from kvpipe.explore.budgets import budgets
from kvpipe.explore.designs import STACKED_KV_MEMORY, compare_designs
from kvpipe.explore.memory_compare import device_study
from kvpipe.explore.seed_study import SeedStudy, run_seed_study
from kvpipe.explore.uncertainty import VERDICT_MODELS, verdict_map
from kvpipe.report.files import staged_output
from kvpipe.system import GpuSystem, HeteroSystem, KVMemory, System

if TYPE_CHECKING:
    from kvpipe.report.writer import SeedReportFiles

SEED_MOE_MODEL = "deepseek-v3"  # the MoE model of the seed study (MLA + A2E/E2A traffic)


def evaluate_file(path: Path, memory_model: str = "scalar") -> Evaluation:
    """Evaluate a system file of any kind (spatial, GPU or heterogeneous)."""
    return load_kind(path).evaluate(memory_model)


def seed_systems_for(base: System) -> list[System]:
    """The systems of the seed study: ``base``, and (for a dense model) its MoE twin."""
    systems = [base]
    if not base.model.is_moe:
        moe = catalog.model(SEED_MOE_MODEL)
        systems.append(replace(base, name=f"{base.name} / {SEED_MOE_MODEL}", model=moe))
    return systems


def seed_systems(config: Path | None) -> list[System]:
    return seed_systems_for(load_system(config) if config else seed_system())


def run_study(
    name: str, out: Path | None, config: Path | None, memory_model: str = "scalar", progress: Update | None = None
) -> tuple[SeedStudy, SeedReportFiles]:
    """Study and write the report to ``out`` (default ``out/<name>``) as one set; ``progress``
    hears of each step (models, comparisons, figures) as ``progress(steps done, next step)``."""
    # the report's figures (matplotlib) are imported here: ``kvpipe evaluate`` starts without them
    from kvpipe.report.figures import seed_figure_count
    from kvpipe.report.writer import REPORT_NAMES, render_seed_report, seed_report_files

    if name != "seed":
        raise UserError(f"  study: unknown study {name!r} (known: seed)")
    out = out or Path("out") / name
    with staged_output(out, "--out", command="study", owns=REPORT_NAMES) as stage:
        systems = seed_systems(config)
        total: list[float | None] = [None]  # known once the figures are: one step per model and comparison, one per figure
        done = [0]

        def step(what: str) -> None:
            if progress is not None:
                progress(done[0], what, total[0])
            done[0] += 1

        techs = [t for t in catalog.memories() if t.name != "ideal"]
        devices, gpus = catalog.devices(), gpu_baselines()
        study = run_seed_study(systems, techs, memory_model, on_model=lambda m: step(f"studying {m}"), devices=devices)
        step("comparing with GPU servers")
        study = replace(study, gpu_comparison=compare_with_gpus(study.primary.system, gpus))
        step("comparing memory devices")
        study = replace(study, device_study=device_study(study.primary.system, [s.headline for s in study.studies],
                                                         techs, list(devices.values())))
        step("comparing designs")
        study = replace(study, designs=compare_designs(study.primary.system, stacked_kv_memory(study), *design_systems()))
        step("mapping the verdict over the uncertain inputs")
        study = replace(study, uncertainty=verdict_map(  # on the study's own memory figures (scalar or device-model ones)
            study.primary.system, [t.tech for t in study.primary.techs], stated_ranges(study.primary.system),
            [catalog.model(m) for m in VERDICT_MODELS],
        ))
        step("budgets")
        study = replace(study, budgets=budgets(study.primary, gpus))
        total[0] = done[0] + seed_figure_count(study)
        figures = render_seed_report(study, stage.path, on_figure=lambda key: step(f"drawing {key}"))
    return study, seed_report_files(out, study, figures)


def stacked_kv_memory(study: SeedStudy) -> KVMemory:
    """The spatial design's stacked KV DRAM, with the units per group the study provisioned for it."""
    for t in study.primary.techs:
        if t.tech.name == STACKED_KV_MEMORY:
            return KVMemory(t.tech, t.units_per_group)
    raise UserError(f"  the seed study's design comparison needs the catalog memory {STACKED_KV_MEMORY}")


DESIGN_SYSTEMS = ("rubin-nvl72", "groq3-lpx-rubin")  # shipped systems of the seed report's design comparison


def design_systems() -> tuple[GpuSystem, HeteroSystem]:
    """The GPU-only and the attention-FFN designs (catalog systems/rubin-nvl72.yaml, groq3-lpx-rubin.yaml)."""
    gpu, afd = DESIGN_SYSTEMS
    return (
        parse_gpu_system(read_yaml(catalog.system_yaml(gpu)), source=f"catalog systems/{gpu}.yaml", default_name=gpu),
        load_hetero_system(afd),
    )


GPU_BASELINES = ("h200-x8", "b200-x8")  # shipped GPU system files the seed report compares with


def gpu_baselines() -> list[GpuSystem]:
    """The GPU servers of the seed report's comparison (catalog systems/h200-x8.yaml, b200-x8.yaml)."""
    return [
        parse_gpu_system(read_yaml(catalog.system_yaml(n)), source=f"catalog systems/{n}.yaml", default_name=n)
        for n in GPU_BASELINES
    ]
