"""One protocol for every kind of system the CLI evaluates: spatial pipelines, GPU servers
and heterogeneous (attention-FFN) systems.

A system file's document says which kind it is (``gpu:`` a GPU server; ``attention:`` /
``ffn:`` a heterogeneous system; otherwise a spatial pipeline). :func:`load_kind` reads it
once and returns a :class:`SystemKind`; its :meth:`~SystemKind.evaluate` gives an
:class:`Evaluation` whose :meth:`~Evaluation.rows` and :meth:`~Evaluation.to_json` the
commands print. Adding a kind is one class pair here and one line in :data:`_KINDS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kvpipe import catalog
from kvpipe.catalog import UnknownNameError
from kvpipe.cli.errors import UserError
from kvpipe.cli.output import gpu_evaluation_json, hetero_evaluation_json, spatial_evaluation_json
from kvpipe.cli.tables import evaluation_rows, gpu_evaluation_rows, hetero_evaluation_rows
from kvpipe.config import parse_gpu_system, parse_system, read_yaml
from kvpipe.config.gpu import is_gpu_document
from kvpipe.config.hetero import is_hetero_document, parse_hetero_system
from kvpipe.config.loader import read_system_file
from kvpipe.memory import Device
from kvpipe.memory.select import NoDeviceError, with_memory_model
from kvpipe.perf import PerfResult, evaluate_system
from kvpipe.perf.gpu import GpuResult, evaluate_gpu_system
from kvpipe.perf.hetero import HeteroResult, evaluate_hetero_system
from kvpipe.system import GpuSystem, HeteroSystem, System


class Evaluation(Protocol):
    """One evaluated design point, ready to print."""

    @property
    def system_name(self) -> str: ...

    def rows(self) -> list[tuple[str, str]]:
        """(quantity, value) rows for the terminal."""
        ...

    def to_json(self) -> dict[str, Any]:
        """The stable ``evaluate --json`` object (SI units)."""
        ...


class SystemKind(Protocol):
    """A loaded system of some kind."""

    @property
    def name(self) -> str: ...

    def evaluate(self, memory_model: str = "scalar") -> Evaluation: ...

    def describe(self) -> dict[str, Any]:
        """What ``kvpipe catalog systems`` lists: kind, model, parts (one line), users, context."""
        ...


def _described(kind: str, system: System | GpuSystem | HeteroSystem, parts: str) -> dict[str, Any]:
    return {"kind": kind, "model": system.model.name, "parts": parts, "users": system.workload.users,
            "context_tokens": system.workload.context_tokens}


# --- spatial pipelines ------------------------------------------------------------------------


@dataclass(frozen=True)
class SpatialEvaluation:
    system: System
    result: PerfResult

    @property
    def system_name(self) -> str:
        return self.system.name

    def rows(self) -> list[tuple[str, str]]:
        return evaluation_rows(self.system.model.name, self.system.workload.context_tokens, self.result)

    def to_json(self) -> dict[str, Any]:
        return spatial_evaluation_json(self.system, self.result)


@dataclass(frozen=True)
class SpatialKind:
    system: System

    @property
    def name(self) -> str:
        return self.system.name

    def describe(self) -> dict[str, Any]:
        s = self.system
        return _described("spatial", s, f"{s.chip.name}, {s.link.name}, KV: {s.kv_memory.tech.name}")

    def evaluate(self, memory_model: str = "scalar") -> SpatialEvaluation:
        try:
            system = with_memory_model(self.system, memory_model, _device_of(self.system))
        except NoDeviceError as e:
            raise UserError(f"  kv_memory.tech: {e}") from None
        r = evaluate_system(system)
        _check_one_user_fits(system, r)
        return SpatialEvaluation(system, r)


def _device_of(system: System) -> Device | None:
    """The catalog device description the system's KV memory names (None: it names none)."""
    try:
        return catalog.memory_device(system.kv_memory.tech)
    except UnknownNameError as e:
        raise UserError(f"  kv_memory.tech.device: unknown device {e.name!r}; known: {', '.join(e.known)}") from None


def _check_one_user_fits(system: System, r: PerfResult) -> None:
    if float(r.users_in_flight) < 1:
        need = float(r.kv_capacity_demand_bytes_per_group) / max(float(r.users), 1.0)
        have = float(r.kv_capacity_supply_bytes_per_group)
        raise UserError(
            f"  kv_memory.units_per_group: one user's KV at context {system.workload.context_tokens} needs "
            f"{need / 1e9:.4g} GB per chip group, but the group's memory holds {have / 1e9:.4g} GB"
        )


# --- GPU servers ------------------------------------------------------------------------------


def _scalar_only(memory_model: str, what: str) -> None:
    if memory_model != "scalar":
        raise UserError(f"  --memory-model: {what}; only the scalar model applies")


@dataclass(frozen=True)
class GpuEvaluation:
    system: GpuSystem
    result: GpuResult

    @property
    def system_name(self) -> str:
        return self.system.name

    def rows(self) -> list[tuple[str, str]]:
        common = evaluation_rows(self.system.model.name, self.system.workload.context_tokens, self.result.perf)
        return common + gpu_evaluation_rows(self.system, self.result)

    def to_json(self) -> dict[str, Any]:
        return gpu_evaluation_json(self.system, self.result)


@dataclass(frozen=True)
class GpuKind:
    system: GpuSystem

    @property
    def name(self) -> str:
        return self.system.name

    def describe(self) -> dict[str, Any]:
        s = self.system
        return _described("gpu", s, f"{s.parallelism.gpus} x {s.gpu.name}, {s.link.name}")

    def evaluate(self, memory_model: str = "scalar") -> GpuEvaluation:
        _scalar_only(memory_model, "a GPU system's KV lives in its HBM")
        return GpuEvaluation(self.system, evaluate_gpu_system(self.system))  # the loader checked that it fits


# --- heterogeneous (attention-FFN) systems --------------------------------------------------------


@dataclass(frozen=True)
class HeteroEvaluation:
    system: HeteroSystem
    result: HeteroResult

    @property
    def system_name(self) -> str:
        return self.system.name

    def rows(self) -> list[tuple[str, str]]:
        common = evaluation_rows(self.system.model.name, self.system.workload.context_tokens, self.result.perf)
        return common + hetero_evaluation_rows(self.system, self.result)

    def to_json(self) -> dict[str, Any]:
        return hetero_evaluation_json(self.system, self.result)


@dataclass(frozen=True)
class HeteroKind:
    system: HeteroSystem

    @property
    def name(self) -> str:
        return self.system.name

    def describe(self) -> dict[str, Any]:
        s = self.system
        parts = (f"attention {s.attention.devices} x {s.attention.gpu.name} (KV: {s.attention.kv_memory}), "
                 f"FFN {s.ffn.chip.name}, {s.a2e_link.name}")
        return _described("heterogeneous", s, parts)

    def evaluate(self, memory_model: str = "scalar") -> HeteroEvaluation:
        _scalar_only(memory_model, "a heterogeneous system's KV lives in its attention devices' HBM")
        return HeteroEvaluation(self.system, evaluate_hetero_system(self.system))  # the loader checked that it fits


# --- loading ------------------------------------------------------------------------------------

_Maker = Callable[[Mapping[str, Any], Path, str, str], SystemKind]


def _hetero(data: Mapping[str, Any], folder: Path, source: str, name: str) -> SystemKind:
    return HeteroKind(parse_hetero_system(data, folder, source=source, default_name=name))


def _gpu(data: Mapping[str, Any], folder: Path, source: str, name: str) -> SystemKind:
    return GpuKind(parse_gpu_system(data, folder, source=source, default_name=name))


def _spatial(data: Mapping[str, Any], folder: Path, source: str, name: str) -> SystemKind:
    return SpatialKind(parse_system(data, folder, source=source, default_name=name))


def _any(data: Any) -> bool:
    return True


# (is this document of the kind, build it): the first match wins; spatial takes the rest
_KINDS: tuple[tuple[Callable[[Any], bool], _Maker], ...] = (
    (is_hetero_document, _hetero),
    (is_gpu_document, _gpu),
    (_any, _spatial),
)


def parse_kind(data: Any, folder: Path, source: str, name: str) -> SystemKind:
    """The system a parsed document describes, of whichever kind it is."""
    for matches, make in _KINDS:
        if matches(data):
            return make(data, folder, source, name)
    raise AssertionError("unreachable: the last kind matches every document")


def load_kind(path: str | os.PathLike[str]) -> SystemKind:
    """Read a system file (or a shipped system by name) of any kind."""
    text, folder, source, name = read_system_file(path)
    return parse_kind(read_yaml(text, source), folder, source, name)


def systems_json() -> list[dict[str, Any]]:
    """Every shipped system file: its name, kind (spatial, GPU or heterogeneous), model, parts,
    workload, and the first sentence of its header comment."""
    out = []
    for name in catalog.names("system"):
        text, source = catalog.system_yaml(name), f"catalog systems/{name}.yaml"
        loaded = parse_kind(read_yaml(text, source), Path.cwd(), source, name)
        out.append({"name": name, **loaded.describe(), "description": _header_sentence(text)})
    return out


def _header_sentence(yaml_text: str) -> str:
    lines = []
    for line in yaml_text.splitlines():
        if not line.startswith("#") or not line.strip("# "):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(lines)
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


__all__ = [
    "Evaluation", "GpuEvaluation", "GpuKind", "HeteroEvaluation", "HeteroKind", "SpatialEvaluation", "SpatialKind",
    "SystemKind", "load_kind", "parse_kind", "systems_json",
]
