"""Reading a GPU system YAML into a :class:`~kvpipe.system.GpuSystem`, with the same rules
as a spatial system: every mistake found at once, each naming its field path.

A GPU system is a document with a ``gpu`` key::

    name: h200-x8
    model: llama-3.1-70b
    precisions: {weights: fp8, kv: fp8, activations: bf16}
    gpu: h200                        # catalog name, or {base: h200, hbm_bw_fraction: 0.85}, or inline
    link: nvlink4                    # optional: the GPU's own link (gpus.yaml) by default
    parallelism: {tensor: 8, pipeline: 1, usable_hbm_fraction: 0.9}
    workload: {batch: 64, context: 8192}     # `users` is accepted for `batch`

After the document is clean, the system must run: the weights must fit in the GPUs' usable
HBM (else ``parallelism``) and one sequence's KV in what is left (else ``workload.context``).
:func:`parse_any_system` and :func:`load_any_system` read either kind of system.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import StrictBool, model_validator

import kvpipe.catalog as catalog
from kvpipe.catalog.entry import unknown_name_message
from kvpipe.config.loader import (
    ConfigError,
    base_name_errors,
    context_errors,
    normalize_shorthands,
    parse_system,
    read_system_file,
    read_yaml,
    required_field_errors,
    spec_and_model,
    user_sources,
)
from kvpipe.config.schema import (
    Count,
    ErrorList,
    Fraction,
    GpuSpec,
    LinkSpec,
    ModelSpec,
    Name,
    PrecisionsSpec,
    Spec,
    UserCount,
    build_gpu,
    build_link,
    given_fields,
)
from kvpipe.hardware.gpu import Gpu
from kvpipe.hardware.parts import Link
from kvpipe.system import GpuSystem, Parallelism, System, Workload
from kvpipe.workload.model import Model
from kvpipe.workload.precision import Precisions


class ParallelismSpec(Spec):
    tensor: Count = Parallelism().tensor
    pipeline: Count = Parallelism().pipeline
    usable_hbm_fraction: Fraction = Parallelism().usable_hbm_fraction

    def to_parallelism(self) -> Parallelism:
        return Parallelism(tensor=self.tensor, pipeline=self.pipeline, usable_hbm_fraction=self.usable_hbm_fraction)


class GpuWorkloadSpec(Spec):
    batch: UserCount | None = None
    users: UserCount | None = None  # the same knob, in the spatial systems' word
    context: Count = Workload().context_tokens
    beyond_model_context: StrictBool = False  # allow a context past the model's max_position_embeddings

    @model_validator(mode="after")
    def _one_batch(self) -> GpuWorkloadSpec:
        if self.batch is not None and self.users is not None and self.batch != self.users:
            raise ValueError(f"give batch or users (the same knob), not both: batch {self.batch}, users {self.users}")
        return self

    def to_workload(self) -> Workload:
        n = self.batch if self.batch is not None else (self.users if self.users is not None else 1)
        return Workload(users=n, context_tokens=self.context, micro_batch=1, beyond_model_context=self.beyond_model_context)


class GpuSystemSpec(Spec):
    name: Name | None = None
    model: ModelSpec
    precisions: PrecisionsSpec = PrecisionsSpec()
    gpu: GpuSpec
    link: LinkSpec | None = None
    parallelism: ParallelismSpec = ParallelismSpec()
    workload: GpuWorkloadSpec = GpuWorkloadSpec()


# --- entry points ------------------------------------------------------------------------------


def is_gpu_document(data: Any) -> bool:
    return isinstance(data, Mapping) and "gpu" in data


def parse_gpu_system(
    data: Mapping[str, Any],
    base_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    default_name: str = "gpu-system",
) -> GpuSystem:
    """Validate a parsed GPU system document, or raise :class:`ConfigError` with every mistake."""
    raw, short = normalize_shorthands(data, ("gpu", "link"))
    spec, model = spec_and_model(
        GpuSystemSpec, raw, short, base_dir, source, hints=_MISSING_HINT, key_notes=_KEY_NOTES,
        checks=_check_names(raw, short) + required_field_errors(raw, _GPU_PARTS),
        model_checks=lambda s, m: (_parallelism_problems(s.parallelism, m)
                                   + context_errors(m, s.workload.context, s.workload.beyond_model_context)),
    )
    system = _build(spec, model, source or "inline config", default_name)
    problems = _fit_problems(system)
    if problems:
        raise ConfigError(problems, source)
    return system


def parse_any_system(
    data: Any,
    base_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    default_name: str = "system",
) -> System | GpuSystem:
    """A spatial :class:`System`, or a :class:`GpuSystem` when the document has a ``gpu`` key."""
    if is_gpu_document(data):
        return parse_gpu_system(data, base_dir, source=source, default_name=default_name)
    return parse_system(data, base_dir, source=source, default_name=default_name)


def parse_any_system_yaml(
    text: str, base_dir: str | os.PathLike[str] | None = None, *, source: str | None = None, default_name: str = "system"
) -> System | GpuSystem:
    return parse_any_system(read_yaml(text, source), base_dir, source=source, default_name=default_name)


def load_any_system(path: str | os.PathLike[str]) -> System | GpuSystem:
    """Read a spatial or GPU system YAML file, or a shipped system by name (relative model
    paths are relative to the file)."""
    text, folder, source, name = read_system_file(path)
    return parse_any_system_yaml(text, folder, source=source, default_name=name)


# --- passes ------------------------------------------------------------------------------------


_MISSING_HINT = {
    "model": 'required: a catalog model name such as "llama-3.1-70b", or {config: path/to/config.json}',
    "gpu": "required: a catalog GPU name (kvpipe catalog gpus) or an inline object",
}
_NOT_GPU = " (a GPU system has no chip, kv_memory or mapping: its KV lives in the GPUs' HBM)"
_KEY_NOTES = {"chip": _NOT_GPU, "kv_memory": _NOT_GPU, "mapping": _NOT_GPU}


_GPU_PARTS = ((("gpu",), "gpu"), (("link",), "link"))


def _check_names(raw: Mapping[str, Any], short: set[str]) -> ErrorList:
    errors = base_name_errors(raw, short, _GPU_PARTS)
    gpu = raw.get("gpu")
    if isinstance(gpu, Mapping) and isinstance(gpu.get("link"), str) and gpu["link"] not in catalog.names("link"):
        errors.append(("gpu.link", unknown_name_message("link", gpu["link"], catalog.names("link"))))
    return errors


def _parallelism_problems(par: ParallelismSpec, model: Model) -> ErrorList:
    """Tensor parallelism splits the attention heads evenly; pipeline parallelism splits the layers."""
    errors: ErrorList = []
    heads, layers = model.arch.n_heads, model.n_layers
    if par.tensor > heads or heads % par.tensor:
        divisors = [d for d in range(1, heads + 1) if heads % d == 0]
        listed = [str(d) for d in divisors]
        shown = ", ".join(listed if len(listed) <= 12 else [*listed[:6], "...", *listed[-3:]])
        errors.append((
            "parallelism.tensor",
            f"must divide the {heads} attention heads of {model.name} (one of {shown}), got {par.tensor}",
        ))
    if par.pipeline > layers:
        errors.append((
            "parallelism.pipeline",
            f"must be at most the {layers} layers of {model.name} (a stage holds at least one layer), got {par.pipeline}",
        ))
    return errors


# --- building ----------------------------------------------------------------------------------


def _build(spec: GpuSystemSpec, model: Model, source: str, default_name: str) -> GpuSystem:
    gpu = _gpu(spec.gpu, source)
    link = _link(spec.link, gpu, source)
    return GpuSystem(
        name=spec.name or default_name,
        model=model,
        gpu=gpu,
        link=link,
        precisions=spec.precisions.to_precisions(),
        parallelism=spec.parallelism.to_parallelism(),
        workload=spec.workload.to_workload(),
    )


def _gpu(spec: GpuSpec, source: str) -> Gpu:
    base: Gpu | None = catalog.gpu(spec.base) if spec.base else None
    if base is not None and spec.name is None and not given_fields(spec):
        return base
    name = spec.name or (f"{spec.base}+{'+'.join(given_fields(spec))}" if spec.base else "custom-gpu")
    return build_gpu(spec, name, user_sources("gpu", "gpu", spec, base, source), base)


def _link(spec: LinkSpec | None, gpu: Gpu, source: str) -> Link:
    if spec is None:
        return catalog.link(gpu.link)
    base: Link | None = catalog.link(spec.base) if spec.base else None
    if base is not None and spec.name is None and not given_fields(spec):
        return base
    name = spec.name or (f"{spec.base}+{'+'.join(given_fields(spec))}" if spec.base else "custom-link")
    return build_link(spec, name, user_sources("link", "link", spec, base, source), base)


def _fit_problems(system: GpuSystem) -> ErrorList:
    from kvpipe.perf.gpu import fit_problems

    errors = gpu_precision_errors(system.gpu, system.precisions, "gpu")
    g = system.gpu
    if g.tdp_w < g.idle_power_w:  # decoding draws tdp - idle above idle (docs/gpu.md): it cannot be negative
        errors.append(("gpu.tdp", f"{g.tdp_w:g} W is below the GPU's idle_power of {g.idle_power_w:g} W"))
    return errors or fit_problems(system)


def gpu_precision_errors(gpu: Gpu, precisions: Precisions, what: str) -> ErrorList:
    """An error (at ``precisions``) for the weight or KV precision ``gpu`` (called ``what``)
    has no peak FLOP/s for."""
    errors: ErrorList = []
    for precision in dict.fromkeys((precisions.weights, precisions.kv)):
        try:
            gpu.flop_rate(precision)
        except KeyError:
            known = ", ".join(p.value for p in gpu.peak_flop_per_s)
            errors.append(("precisions", f"{what} {gpu.name} has no peak FLOP/s for {precision.value} (it has: {known})"))
    return errors


__all__ = [
    "GpuSystemSpec", "GpuWorkloadSpec", "ParallelismSpec", "is_gpu_document", "load_any_system", "parse_any_system",
    "parse_any_system_yaml", "parse_gpu_system",
]
