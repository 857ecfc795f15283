"""Reading the shipped catalog files (package data, read-only) into :class:`CatalogEntry` objects.

Part files (``chips.yaml``, ``links.yaml``, ``memories.yaml``) have the form::

    default: <name>                 # the entry a system gets when it names none
    entries:
      <name>:
        description: "..."
        <field>: {value: "<number with unit>", source: "<where from>", firmness: V|D|U|A}
        <field>: {value: ..., source: ..., firmness: A,             # optionally a plausible range
                  range: {low: "<number with unit>", high: "...", source: "<why these bounds>"}}
        <per-precision field>: {bf16: {value: ..., source: ..., firmness: ...}, ...}
        unit: stack                 # words (memory ``unit``, ``attach``) are plain strings

Field names are the config keys of :mod:`kvpipe.config.schema`; values are parsed by the
same schema as a user's inline part, so the catalog and user configs cannot drift apart.
``models.yaml`` (written by the workload side) maps a model name to
``{file: <name>.json, source: ..., note: ...}`` under ``data/models/``. ``devices/*.yaml``
are DRAM device descriptions (one file per device, the form of a user's ``--device`` file,
docs/memory.md section 1); a memory entry names its device in ``device``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from kvpipe.catalog.entry import CatalogEntry, CatalogError, Firmness, Source, ValueRange
from kvpipe.config.device_spec import device_from_document
from kvpipe.config.schema import (
    FIELDS,
    NON_NUMERIC,
    PER_PRECISION,
    SPECS,
    build_chip,
    build_gpu,
    build_link,
    build_memory,
    required_missing,
)
from kvpipe.memory import Device
from kvpipe.workload.arch import ArchError, parse_arch
from kvpipe.workload.model import Model, build_model
from kvpipe.workload.precision import Precision

PART_FILES: Mapping[str, str] = MappingProxyType(
    {"chip": "chips.yaml", "link": "links.yaml", "memory": "memories.yaml", "gpu": "gpus.yaml"}
)
_BUILDERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {"chip": build_chip, "link": build_link, "memory": build_memory, "gpu": build_gpu}
)
_SOURCED_KEYS = {"value", "source", "firmness"}
_RANGE_KEYS = {"low", "high", "source"}
Bound = Callable[[object, str], "float | None"]  # parses one number of a field (a range bound)


def data_root() -> Traversable:
    return files("kvpipe.catalog") / "data"


# the shipped files are read with libyaml's parser where PyYAML has it (the same documents, about
# ten times faster than the pure-Python one); a user's files go through config.limits' loader
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader


# --- part files ---------------------------------------------------------------------------


@lru_cache(maxsize=None)
def part_file(kind: str) -> tuple[Mapping[str, CatalogEntry[Any]], str]:
    """All entries of one part kind, and the name of its default entry."""
    name = PART_FILES[kind]
    doc = _load_yaml((data_root() / name).read_text(encoding="utf-8"))
    return parse_part_file(kind, doc, name)


def parse_part_file(kind: str, doc: object, where: str) -> tuple[Mapping[str, CatalogEntry[Any]], str]:
    errors: list[tuple[str, str]] = []
    if not isinstance(doc, Mapping) or not isinstance(doc.get("entries"), Mapping):
        raise CatalogError([(where, "expected a mapping with 'default' and 'entries'")])
    entries: dict[str, CatalogEntry[Any]] = {}
    for name, raw in doc["entries"].items():
        entry = _parse_part_entry(kind, str(name), raw, f"{where}: {name}", errors)
        if entry is not None:
            entries[str(name)] = entry
    default = doc.get("default")
    if default not in doc["entries"]:
        errors.append((f"{where}: default", f"names no entry: {default!r}"))
    if errors:
        raise CatalogError(errors)
    return MappingProxyType(entries), str(default)


def _parse_part_entry(
    kind: str, name: str, raw: object, where: str, errors: list[tuple[str, str]]
) -> CatalogEntry[Any] | None:
    if not isinstance(raw, Mapping):
        errors.append((where, "expected a mapping of fields"))
        return None
    n_errors = len(errors)
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    fields = FIELDS[kind]
    for key, item in raw.items():
        path = f"{where}.{key}"
        if key == "description":
            continue
        if key not in fields:
            errors.append((path, f"unknown field; expected one of {', '.join(fields)}"))
        elif key in NON_NUMERIC:
            values[key] = item
        elif key in PER_PRECISION:
            values[key] = _per_precision(item, fields[key], path, sources, errors, partial(_bound, kind, key, errors))
        else:
            values[key] = _sourced(item, fields[key], path, sources, errors, partial(_bound, kind, key, errors, None))
    for key in required_missing(kind, values):
        errors.append((f"{where}.{key}", "required field is missing"))
    spec = _validate(kind, values, where, errors)
    if spec is None or len(errors) > n_errors:
        return None
    part = _BUILDERS[kind](spec, name, {k: str(s) for k, s in sources.items()})
    description = str(raw.get("description", "")).strip()
    return CatalogEntry(kind=kind, name=name, part=part, description=description, sources=MappingProxyType(sources))


def _per_precision(
    item: object,
    attr: str,
    path: str,
    sources: dict[str, Source],
    errors: list[tuple[str, str]],
    bound: Callable[..., float | None],
) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        errors.append((path, "expected a mapping from precision to {value, source, firmness}"))
        return {}
    out: dict[str, Any] = {}
    for precision, sub in item.items():
        try:
            key = Precision(str(precision).lower()).value
        except ValueError:
            key = str(precision)  # the schema reports the bad precision
        out[str(precision)] = _sourced(sub, f"{attr}.{key}", f"{path}.{precision}", sources, errors, partial(bound, str(precision)))
    return out


def _bound(kind: str, key: str, errors: list[tuple[str, str]], precision: str | None, raw: object, path: str) -> float | None:
    """One number of field ``key`` (of one precision), parsed by the part's own schema."""
    spec = _validate(kind, {key: raw if precision is None else {precision: raw}}, path, errors)
    if spec is None:
        return None
    got = getattr(spec, key)
    return float(got if precision is None else next(iter(got.values())))


def _range(item: object, nominal: object, path: str, errors: list[tuple[str, str]], bound: Bound) -> ValueRange | None:
    if not isinstance(item, Mapping) or set(item) != _RANGE_KEYS:
        errors.append((path, "expected {low: ..., high: ..., source: <why these bounds>}"))
        return None
    low, high, value = bound(item["low"], f"{path}.low"), bound(item["high"], f"{path}.high"), bound(nominal, path)
    if low is None or high is None or value is None:
        return None
    if not low <= value <= high:
        errors.append((path, "expected low <= value <= high"))
        return None
    if not isinstance(item["source"], str) or not item["source"].strip():
        errors.append((f"{path}.source", "expected a non-empty reason for the bounds"))
        return None
    return ValueRange(low, high, " ".join(item["source"].split()))


def _sourced(
    item: object, attr: str, path: str, sources: dict[str, Source], errors: list[tuple[str, str]], bound: Bound
) -> Any:
    if not isinstance(item, Mapping) or not _SOURCED_KEYS <= set(item) <= _SOURCED_KEYS | {"range"}:
        errors.append((path, "expected {value: ..., source: ..., firmness: V|D|U|A} (and optionally range: {...})"))
        return None
    text = item["source"]
    if not isinstance(text, str) or not text.strip():
        errors.append((f"{path}.source", "expected a non-empty source"))
    try:
        firmness = Firmness(item["firmness"])
    except ValueError:
        errors.append((f"{path}.firmness", f"expected V, D, U or A, got {item['firmness']!r}"))
        return item["value"]
    plausible = _range(item["range"], item["value"], f"{path}.range", errors, bound) if "range" in item else None
    sources[attr] = Source(text=" ".join(str(text).split()), firmness=firmness, range=plausible)
    return item["value"]


def _validate(kind: str, values: dict[str, Any], where: str, errors: list[tuple[str, str]]) -> Any:
    try:
        return SPECS[kind].model_validate(values)
    except ValidationError as e:
        for err in e.errors():
            loc = ".".join(str(p) for p in err["loc"] if p != "[key]")
            errors.append((f"{where}.{loc}", err["msg"]))
        return None


# --- models -------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def model_index() -> Mapping[str, Mapping[str, Any]]:
    """``models.yaml``: model name -> {file, source, note}."""
    doc = _load_yaml((data_root() / "models.yaml").read_text(encoding="utf-8"))
    if not isinstance(doc, Mapping):
        raise CatalogError([("models.yaml", "expected a mapping of model names")])
    return MappingProxyType({str(k): v for k, v in doc.items()})


@lru_cache(maxsize=None)
def model_entry(name: str) -> CatalogEntry[Model]:
    """Read ``data/models/<file>`` for catalog model ``name`` and build the model."""
    item = model_index()[name]
    if not isinstance(item, Mapping) or not isinstance(item.get("file"), str):
        raise CatalogError([(f"models.yaml: {name}", "expected {file: <name>.json, source: ..., note: ...}")])
    path = f"models/{item['file']}"
    try:
        cfg = json.loads((data_root() / path).read_text(encoding="utf-8"))
        model = build_model(parse_arch(cfg, name=name))
    except (OSError, json.JSONDecodeError, ArchError) as e:
        raise CatalogError([(f"models.yaml: {name}", f"{path}: {e}")]) from e
    source = Source(text=str(item.get("source") or path), firmness=Firmness.VENDOR)
    return CatalogEntry(
        kind="model",
        name=name,
        part=model,
        description=str(item.get("note", "")).strip(),
        sources=MappingProxyType({"config": source}),
    )


# --- systems ------------------------------------------------------------------------------


def system_names() -> list[str]:
    folder = data_root() / "systems"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def system_text(name: str) -> str:
    return (data_root() / "systems" / f"{name}.yaml").read_text(encoding="utf-8")


# --- DRAM devices -------------------------------------------------------------------------


@lru_cache(maxsize=None)
def device_files() -> Mapping[str, tuple[str, Mapping[str, Any]]]:
    """``devices/*.yaml``: device name -> (file name, the description as loaded)."""
    folder = data_root() / "devices"
    out: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if not p.name.endswith(".yaml"):
            continue
        doc = _load_yaml(p.read_text(encoding="utf-8"))
        if not isinstance(doc, Mapping) or not isinstance(doc.get("name"), str):
            raise CatalogError([(f"devices/{p.name}", "expected a device description with a name")])
        if doc["name"] in out:
            raise CatalogError([(f"devices/{p.name}", f"device {doc['name']!r} is also in {out[doc['name']][0]}")])
        out[doc["name"]] = (f"devices/{p.name}", MappingProxyType(dict(doc)))
    return MappingProxyType(out)


@lru_cache(maxsize=None)
def device(name: str) -> Device:
    where, doc = device_files()[name]
    errors: list[tuple[str, str]] = []
    built = device_from_document(doc, errors)
    if built is None:
        raise CatalogError([(f"{where}: {f}", m) for f, m in errors])
    return built
