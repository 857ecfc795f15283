"""Reading a heterogeneous (attention-FFN disaggregated) system YAML into a
:class:`~kvpipe.system.HeteroSystem`, with the rules of the other system kinds: every mistake
found at once, each naming its field path (docs/afd.md)::

    name: groq3-lpx-rubin
    model: llama-3.1-70b
    precisions: {weights: fp8, kv: fp8, activations: bf16}
    attention: {on: rubin, devices: 72, kv_memory: hbm4, batch: 16}   # a catalog GPU
    ffn: {on: lp30, link: lpx-c2c, mapping: {usable_sram_fraction: 0.8}}  # a catalog chip
    a2e_link: lpx-ethernet        # attention <-> FFN, per attention device
    workload: {users: 4096, context: 8192}

``attention.kv_memory`` (required) names the technology of the attention devices' memory
that holds the KV (a catalog memory); its capacity and bandwidth are the GPU's HBM figures.
After the document is clean, the system must run: the attention weights must fit in a
device's usable HBM with one sequence's KV (else ``attention.on``), and the FFN blocks must
place on the chips (else ``ffn.mapping``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import kvpipe.catalog as catalog
from kvpipe.catalog.entry import unknown_name_message
from kvpipe.config.gpu import gpu_precision_errors
from kvpipe.config.loader import (
    ConfigError,
    _part,
    _precision_errors,
    base_name_errors,
    context_errors,
    normalize_shorthands,
    read_system_file,
    read_yaml,
    spec_and_model,
)
from kvpipe.config.schema import (
    Count,
    ErrorList,
    Fraction,
    LinkSpec,
    MappingSpec,
    ModelSpec,
    Name,
    PrecisionsSpec,
    Spec,
    WorkloadSpec,
)
from kvpipe.mapping.placement import MappingError
from kvpipe.perf.gpu import fit_problems, system_shape
from kvpipe.perf.hetero import hetero_shape, split_model
from kvpipe.system import AttentionSide, FfnSide, GpuSystem, HeteroSystem, Parallelism
from kvpipe.workload.model import Model


class AttentionSpec(Spec):
    on: Name
    devices: Count = 1
    kv_memory: Name
    batch: Count = 1
    usable_hbm_fraction: Fraction = Parallelism().usable_hbm_fraction


class FfnSpec(Spec):
    on: Name
    link: LinkSpec | None = None
    mapping: MappingSpec = MappingSpec()
    micro_batch: Count | None = None  # default: the attention batch


class HeteroSystemSpec(Spec):
    name: Name | None = None
    model: ModelSpec
    precisions: PrecisionsSpec = PrecisionsSpec()
    attention: AttentionSpec
    ffn: FfnSpec
    a2e_link: LinkSpec
    workload: WorkloadSpec = WorkloadSpec()


def is_hetero_document(data: Any) -> bool:
    return isinstance(data, Mapping) and ("attention" in data or "ffn" in data)


_MISSING_HINT = {
    "model": 'required: a catalog model name such as "llama-3.1-70b", or {config: path/to/config.json}',
    "attention": "required: {on: <catalog GPU>, devices: <count>, kv_memory: <catalog memory>, batch: <count>}",
    "attention.on": "required: the catalog GPU the attention runs on (kvpipe catalog gpus)",
    "attention.kv_memory": "required: the memory the KV cache lives in (a catalog memory, e.g. hbm4: kvpipe catalog memories)",
    "ffn": "required: {on: <catalog chip>, link: <catalog link>, mapping: {...}}",
    "ffn.on": "required: the catalog chip the FFN blocks run on (kvpipe catalog chips)",
    "a2e_link": "required: the attention <-> FFN link, a catalog link name or an inline link",
}
_NOT_HETERO = " (a heterogeneous system names its parts under attention and ffn)"
_KEY_NOTES = {"chip": _NOT_HETERO, "link": _NOT_HETERO, "kv_memory": _NOT_HETERO, "mapping": _NOT_HETERO, "gpu": _NOT_HETERO}


def parse_hetero_system(
    data: Mapping[str, Any],
    base_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    default_name: str = "hetero-system",
) -> HeteroSystem:
    """Validate a parsed heterogeneous system document, or raise :class:`ConfigError` with every mistake."""
    raw, short = normalize_shorthands(data, ("a2e_link",))
    for side in ("attention", "ffn"):
        part = raw.get(side)
        if isinstance(part, Mapping) and True in part and "on" not in part:
            # YAML 1.1 reads the bare key `on` as the boolean true
            raw[side] = {("on" if k is True else k): v for k, v in part.items()}
    ffn = raw.get("ffn")
    if isinstance(ffn, Mapping) and isinstance(ffn.get("link"), str):
        raw["ffn"] = {**ffn, "link": {"base": ffn["link"]}}
        short.add("ffn.link")
    spec, model = spec_and_model(
        HeteroSystemSpec, raw, short, base_dir, source, hints=_MISSING_HINT, key_notes=_KEY_NOTES,
        checks=_check_names(raw, short),
        model_checks=lambda s, m: context_errors(m, s.workload.context, s.workload.beyond_model_context),
    )
    system = _build(spec, model, source or "inline config", default_name)
    problems = _fit_problems(system)
    if problems:
        raise ConfigError(problems, source)
    return system


def parse_hetero_system_yaml(
    text: str, base_dir: str | os.PathLike[str] | None = None, *, source: str | None = None, default_name: str = "system"
) -> HeteroSystem:
    return parse_hetero_system(read_yaml(text, source), base_dir, source=source, default_name=default_name)


def load_hetero_system(path: str | os.PathLike[str]) -> HeteroSystem:
    """Read a heterogeneous system YAML file, or a shipped one by name."""
    text, folder, source, name = read_system_file(path)
    return parse_hetero_system_yaml(text, folder, source=source, default_name=name)


# --- passes ------------------------------------------------------------------------------------

# (field path, catalog kind, what the field is for)
_NAMED: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("attention", "on"), "gpu", "the attention side runs on a GPU"),
    (("attention", "kv_memory"), "memory", "the KV cache lives in a memory technology"),
    (("ffn", "on"), "chip", "the FFN side runs on an SRAM chip"),
)


def _check_names(raw: Mapping[str, Any], short: set[str]) -> ErrorList:
    errors: ErrorList = []
    for path, kind, what in _NAMED:
        side = raw.get(path[0])
        value = side.get(path[1]) if isinstance(side, Mapping) else None
        if not isinstance(value, str):
            continue
        known = catalog.names(kind)
        if value not in known:
            errors.append((".".join(path), f"{what}: {unknown_name_message(kind, value, known)}"))
    return errors + base_name_errors(raw, short, ((("a2e_link",), "link"), (("ffn", "link"), "link")))


def _build(spec: HeteroSystemSpec, model: Model, source: str, default_name: str) -> HeteroSystem:
    a, f = spec.attention, spec.ffn
    link = _part("link", spec.a2e_link, source)
    ffn_link = _part("link", f.link, source)  # none given: the catalog's default link
    return HeteroSystem(
        name=spec.name or default_name,
        model=model,
        attention=AttentionSide(
            gpu=catalog.gpu(a.on), devices=a.devices, kv_memory=a.kv_memory, batch=a.batch,
            usable_hbm_fraction=a.usable_hbm_fraction,
        ),
        ffn=FfnSide(
            chip=catalog.entry("chip", f.on).part, link=ffn_link, mapping=f.mapping.to_options(spec.workload.context),
            micro_batch=f.micro_batch,
        ),
        a2e_link=link,
        precisions=spec.precisions.to_precisions(),
        workload=spec.workload.to_workload(),
    )


def _attention_weight_bytes(attention_only: GpuSystem) -> float:
    return system_shape(attention_only).weight_bytes_per_gpu


def _fit_problems(system: HeteroSystem) -> ErrorList:
    """Each side must run: FLOP rates for the precisions, attention weights and one sequence's
    KV in a device's HBM, the FFN blocks placed on the chips."""
    gpu = system.attention.gpu
    errors = gpu_precision_errors(gpu, system.precisions, "attention GPU")
    errors += _precision_errors(system.ffn.chip, system.precisions)
    if errors:
        return errors
    attention_only = GpuSystem(
        name=system.name, model=split_model(system.model)[0], gpu=gpu, link=system.a2e_link,
        precisions=system.precisions, parallelism=Parallelism(usable_hbm_fraction=system.attention.usable_hbm_fraction),
        workload=system.workload,
    )
    for path, msg in fit_problems(attention_only):
        if path == "parallelism":  # an attention device holds every layer's attention weights: no split
            usable = system.attention.usable_hbm_fraction * gpu.hbm_bytes
            msg = (f"{system.model.name}'s attention weights ({_attention_weight_bytes(attention_only) / 1e9:.4g} GB of "
                   f"{system.precisions.weights.value}) do not fit the {usable / 1e9:.4g} GB usable HBM of one {gpu.name}: "
                   "each attention device holds every layer's attention weights")
            path = "attention.on"
        errors.append((path, msg))
    try:
        hetero_shape(system)
    except MappingError as e:
        errors.append((f"ffn.{e.field}", e.message))
    return errors


__all__ = [
    "AttentionSpec", "FfnSpec", "HeteroSystemSpec", "is_hetero_document", "load_hetero_system", "parse_hetero_system",
    "parse_hetero_system_yaml",
]
