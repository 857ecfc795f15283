"""The catalog of named parts and models that ships with kvpipe, every number with its source.

    >>> from kvpipe import catalog
    >>> catalog.memory("hbm3e").bw_bytes_per_s
    1200000000000.0
    >>> catalog.entry("memory", "hbm3e").sources["bw_bytes_per_s"].firmness
    <Firmness.VENDOR: 'V'>

Kinds: ``"chip"``, ``"link"``, ``"memory"``, ``"gpu"`` (GPU baselines), ``"model"`` and ``"system"`` (shipped system
files under ``data/systems``). Each lookup returns a :class:`CatalogEntry` whose ``part`` is
the domain object (:class:`~kvpipe.hardware.parts.Chip`, ``Link``, ``MemoryTech``,
:class:`~kvpipe.workload.model.Model`) and whose ``sources`` say where each number comes
from. The part's own ``sources`` mapping carries the same as ``"[V] text"`` strings, so
reports that only see the part can still cite.

The data files are read through :mod:`importlib.resources` and never written.
"""

from __future__ import annotations

import copy
from typing import Any

from kvpipe.catalog import _files
from kvpipe.catalog.entry import CatalogEntry, CatalogError, Firmness, Source, UnknownNameError, ValueRange
from kvpipe.hardware.gpu import Gpu
from kvpipe.hardware.parts import Chip, Link, MemoryTech
from kvpipe.memory import Device
from kvpipe.workload.model import Model

KINDS: tuple[str, ...] = ("chip", "link", "memory", "gpu", "model", "system")
_PLURAL = {k + "s": k for k in KINDS} | {"memories": "memory"}


def _kind(kind: str) -> str:
    k = _PLURAL.get(kind, kind)
    if k not in KINDS:
        raise ValueError(f"unknown catalog kind {kind!r}; expected one of {', '.join(KINDS)}")
    return k


def names(kind: str) -> list[str]:
    """The entry names of one kind, in file order (systems: sorted)."""
    k = _kind(kind)
    if k == "model":
        return list(_files.model_index())
    if k == "system":
        return _files.system_names()
    return list(_files.part_file(k)[0])


def default_name(kind: str) -> str:
    """The entry a system gets when it names none (``chip`` and ``link``; ``memory`` too)."""
    k = _kind(kind)
    if k not in _files.PART_FILES:
        raise ValueError(f"catalog kind {k!r} has no default entry")
    return _files.part_file(k)[1]


def entry(kind: str, name: str | None = None) -> CatalogEntry[Any]:
    """The entry (part + per-field sources) of one kind by name; None: the kind's default."""
    k = _kind(kind)
    if k == "model":
        index = _files.model_index()
        if name is None or name not in index:
            raise UnknownNameError("model", str(name), list(index))
        return _files.model_entry(name)
    if k == "system":
        raise ValueError("systems are YAML files, not entries: use system_yaml(name) or kvpipe.config")
    found = _files.part_file(k)[0]
    key = name if name is not None else default_name(k)
    if key not in found:
        raise UnknownNameError(k, key, list(found))
    return found[key]


def entries(kind: str) -> list[CatalogEntry[Any]]:
    """Every entry of one kind, in file order (models are built on first use)."""
    return [entry(kind, n) for n in names(kind)]


def chip(name: str | None = None) -> Chip:
    """A chip by name (the default chip when ``name`` is None)."""
    part: Chip = entry("chip", name).part
    return part


def link(name: str | None = None) -> Link:
    """A link by name (the default link when ``name`` is None)."""
    part: Link = entry("link", name).part
    return part


def memory(name: str | None = None) -> MemoryTech:
    """A memory technology by name, scalar figures per unit (the default when ``name`` is None)."""
    part: MemoryTech = entry("memory", name).part
    return part


def model(name: str) -> Model:
    """A model by name, built from its shipped Hugging Face config.json (parse_arch + build_model)."""
    part: Model = entry("model", name).part
    return part


def gpu(name: str | None = None) -> Gpu:
    """A GPU baseline by name (the default GPU when ``name`` is None)."""
    part: Gpu = entry("gpu", name).part
    return part


def gpus() -> list[Gpu]:
    return [e.part for e in entries("gpu")]


def chips() -> list[Chip]:
    return [e.part for e in entries("chip")]


def links() -> list[Link]:
    return [e.part for e in entries("link")]


def memories() -> list[MemoryTech]:
    """Every memory technology, including the ``ideal`` probe (filter it by name if unwanted)."""
    return [e.part for e in entries("memory")]


def device_names() -> list[str]:
    """Names of the DRAM device descriptions (``data/devices/*.yaml``), in file-name order."""
    return list(_files.device_files())


def device(name: str) -> Device:
    """A DRAM device description by name (``HBM3E``, ``FG-3D``; case-insensitive)."""
    return _files.device(_device_key(name))


def device_dict(name: str) -> dict[str, Any]:
    """A copy of a device description as loaded (edit it, then build it with
    ``kvpipe.config.devices.parse_device``)."""
    return copy.deepcopy(dict(_files.device_files()[_device_key(name)][1]))


def devices() -> dict[str, Device]:
    """Every DRAM device description, by name."""
    return {n: device(n) for n in device_names()}


def memory_device(tech: MemoryTech) -> Device | None:
    """The device description a memory technology names (``device:``), or None."""
    return device(tech.device) if tech.device else None


def _device_key(name: str) -> str:
    known = device_names()
    for k in known:
        if k.lower() == name.lower():
            return k
    raise UnknownNameError("device", name, known)


def system_yaml(name: str) -> str:
    """The text of a shipped system file (``data/systems/<name>.yaml``)."""
    known = _files.system_names()
    if name not in known:
        raise UnknownNameError("system", name, known)
    return _files.system_text(name)


__all__ = [
    "KINDS", "CatalogEntry", "CatalogError", "Firmness", "Source", "UnknownNameError", "chip", "chips",
    "default_name", "device", "device_dict", "device_names", "devices", "entries", "entry", "gpu", "gpus", "link",
    "links", "memories", "memory", "memory_device", "model", "names", "system_yaml", "ValueRange",
]
