"""Reading a user's system YAML into a :class:`~kvpipe.system.System`, at the edge.

All mistakes are collected and raised together as one :class:`ConfigError`, each naming its
field path (``chip.sram_bw``) and the expected form. Three passes feed that list:

1. pydantic validation of the whole document (:class:`~kvpipe.config.schema.SystemSpec`):
   types, unit strings, ranges, unknown keys;
2. checks on the raw document: catalog names (parts, ``base``), fields an inline part
   without ``base`` must give, the model (catalog name, or a config.json read from disk);
3. only when both are clean: building the immutable domain objects.

Shorthands: a part given as a string is a catalog name (``chip: spatial-n3-reticle`` is
``chip: {base: spatial-n3-reticle}``); ``model: <name>`` is ``model: {catalog: <name>}``.
``chip`` and ``link`` may be left out: the catalog's default parts are used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

import kvpipe.catalog as catalog
from kvpipe.catalog.entry import CatalogError, unknown_name_message
from kvpipe.config.limits import MAX_MODEL_CONFIG_BYTES, InputLimitError, LimitedLoader, read_user_text
from kvpipe.config.schema import (
    FIELDS,
    PER_PRECISION,
    ChipSpec,
    ErrorList,
    LinkSpec,
    MemorySpec,
    Spec,
    SpecT,
    SystemSpec,
    build_chip,
    build_link,
    build_memory,
    given_fields,
    kind_of,
    required_missing,
    validate_spec,
)
from kvpipe.hardware.parts import Chip, Link, MemoryTech
from kvpipe.system import KVMemory, System
from kvpipe.workload.arch import ArchError, context_problem, parse_arch
from kvpipe.workload.model import Model, build_model
from kvpipe.workload.precision import Precisions

# where the parts sit in a system document, and their catalog kind
PART_PATHS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("chip",), "chip"),
    (("link",), "link"),
    (("kv_memory", "tech"), "memory"),
)


class ConfigError(ValueError):
    """Every mistake found in one system config: ``errors`` is a list of (field path, message)."""

    def __init__(self, errors: ErrorList, source: str | None = None) -> None:
        self.errors = list(errors)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.errors)
        where = f" in {self.source}" if self.source else ""
        head = f"{n} error{'s' if n != 1 else ''}{where}:"
        lines = [f"  {path}: {msg}" if path else f"  {msg}" for path, msg in self.errors]
        return "\n".join([head, *lines])


# --- entry points -------------------------------------------------------------------------


def read_system_file(path: str | os.PathLike[str]) -> tuple[str, Path, str, str]:
    """The text of a system file, its folder, a source label and a default name.

    A path that does not exist but is the name of a shipped system (``seed``, ``h200-x8``,
    ... see ``kvpipe.catalog.names("system")``) reads that system.
    """
    p = Path(path)
    if not p.exists() and str(path) in catalog.names("system"):
        return catalog.system_yaml(str(path)), Path.cwd(), f"catalog systems/{path}.yaml", str(path)
    text = read_user_file(p, f" (shipped systems: {', '.join(catalog.names('system'))})")
    return text, p.parent, str(p), p.stem


def read_user_file(p: Path, unreadable_hint: str = "") -> str:
    """The text of a user's file (within the size cap), or a :class:`ConfigError` naming it:
    missing or unreadable (``unreadable_hint`` follows the reason), too large, or not UTF-8."""
    try:
        return read_user_text(p)
    except InputLimitError as e:
        raise ConfigError([("", e.message)], source=str(p)) from None
    except OSError as e:
        raise ConfigError([("", f"cannot read {p}: {e.strerror or e}{unreadable_hint}")], source=str(p)) from None
    except UnicodeDecodeError as e:
        raise ConfigError([("", f"{p} is not UTF-8 text: {e.reason}")], source=str(p)) from None


def load_system(path: str | os.PathLike[str]) -> System:
    """Read and validate a system YAML file (or a shipped system by name); relative model
    config paths are relative to the file."""
    text, folder, source, name = read_system_file(path)
    return parse_system_yaml(text, folder, source=source, default_name=name)


def parse_system_yaml(
    text: str,
    base_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    default_name: str = "system",
) -> System:
    """Validate the text of a system YAML (see :func:`parse_system`)."""
    return parse_system(read_yaml(text, source), base_dir, source=source, default_name=default_name)


def parse_system(
    data: Mapping[str, Any],
    base_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    default_name: str = "system",
) -> System:
    """Validate a parsed system document into a :class:`System`, or raise :class:`ConfigError`."""
    if not isinstance(data, Mapping):
        keys = ", ".join(SystemSpec.model_fields)
        raise ConfigError([("", f"expected a mapping with keys {keys}; got {kind_of(data)}")], source)
    if "gpu" in data:
        raise ConfigError(
            [("gpu", "this file describes a GPU system (it names a gpu); this command models spatial pipelines "
                     "only (kvpipe evaluate and kvpipe validate take GPU systems)")],
            source,
        )
    if "attention" in data or "ffn" in data:
        raise ConfigError(
            [("attention", "this file describes a heterogeneous (attention-FFN) system; this command is not "
                           "supported for heterogeneous systems yet (kvpipe evaluate takes them, docs/afd.md)")],
            source,
        )
    raw, short = normalize_shorthands(data)
    spec, model = spec_and_model(
        SystemSpec, raw, short, base_dir, source, hints=_MISSING_HINT,
        checks=base_name_errors(raw, short) + required_field_errors(raw),
        model_checks=lambda s, m: context_errors(m, s.workload.context, s.workload.beyond_model_context),
    )
    return _build(spec, model, source or "inline config", default_name)


def spec_and_model(
    cls: type[SpecT],
    raw: dict[str, Any],
    short: set[str],
    base_dir: str | os.PathLike[str] | None,
    source: str | None,
    *,
    hints: Mapping[str, str],
    key_notes: Mapping[str, str] | None = None,
    checks: ErrorList,
    model_checks: Callable[[SpecT, Model], ErrorList],
) -> tuple[SpecT, Model]:
    """The validated spec and the model of a system document of any kind, or one
    :class:`ConfigError` with every mistake in the order of ``cls``'s fields: the schema's
    (``hints``, ``key_notes``: see :func:`validate_spec`), ``checks`` found on the raw
    document, the model's (relative config paths from ``base_dir``), and, once both are
    clean, ``model_checks`` of the spec against the model."""
    errors: ErrorList = []
    spec = validate_spec(cls, raw, errors, hints, key_notes)
    errors += checks
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    model = _resolve_model(raw.get("model"), "model" in short, folder, errors)
    if spec is not None and model is not None:
        errors += model_checks(spec, model)
    if errors or spec is None or model is None:
        raise ConfigError(ordered_by(errors, cls), source)
    return spec, model


def context_errors(model: Model, context_tokens: int, beyond_model_context: bool, where: str = "workload.context") -> ErrorList:
    """The error (at ``where``) of a context past the model's maximum or kvpipe's bound, if any."""
    problem = context_problem(model.arch, context_tokens, beyond_model_context)
    return [(where, problem)] if problem else []


def seed_system_yaml() -> str:
    """The text of the shipped default seed system (``catalog/data/systems/seed.yaml``)."""
    return catalog.system_yaml("seed")


def seed_system() -> System:
    """The default seed system: Llama-3.1-70B on the spatial N3 chip with HBM3E KV memory."""
    return parse_system_yaml(seed_system_yaml(), source="catalog systems/seed.yaml", default_name="seed")


# --- YAML ---------------------------------------------------------------------------------


class _Loader(LimitedLoader):
    """A safe loader that rejects duplicate keys (a silent typo otherwise), deep nesting and
    alias bombs (:mod:`kvpipe.config.limits`)."""


def _mapping_without_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.setdefault(key, key_node.start_mark.line)
        except TypeError:
            continue  # unhashable key: construct_mapping reports it
        if first != key_node.start_mark.line:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first given on line {first + 1})", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml(text: str, source: str | None = None) -> Any:
    """Parse YAML text; a syntax error becomes a :class:`ConfigError` with its line and column,
    an input past the limits one naming its field."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ConfigError([("", _yaml_message(e))], source) from None
    except InputLimitError as e:
        raise ConfigError([(e.field, e.message)], source) from None


def _yaml_message(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    what = f"{context}: {problem}" if context else problem
    if mark is None:
        return f"invalid YAML: {what}"
    return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {what}"


# --- pass 1: schema -----------------------------------------------------------------------


def normalize_shorthands(data: Mapping[str, Any], parts: tuple[str, ...] = ("chip", "link")) -> tuple[dict[str, Any], set[str]]:
    """Expand the string shorthands into objects (a copy; the input is not changed).

    Returns the expanded document and the paths that were written as shorthands, so that
    errors about them name the path the user wrote (``chip``, not ``chip.base``).
    """
    raw = dict(data)
    short: set[str] = set()
    if isinstance(raw.get("model"), str):
        raw["model"] = {"catalog": raw["model"]}
        short.add("model")
    for key in parts:
        if isinstance(raw.get(key), str):
            raw[key] = {"base": raw[key]}
            short.add(key)
    kv = raw.get("kv_memory")
    if isinstance(kv, Mapping):
        kv = dict(kv)
        if isinstance(kv.get("tech"), str):
            kv["tech"] = {"base": kv["tech"]}
            short.add("kv_memory.tech")
        raw["kv_memory"] = kv
    return raw, short


_MISSING_HINT = {
    "model": 'required: a catalog model name such as "llama-3.1-70b", or {config: path/to/config.json}',
    "kv_memory": "required: {tech: <memory name or inline object>, units_per_group: <number>}",
}


# --- pass 2: checks on the raw document ----------------------------------------------------


def _at(raw: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = raw
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def base_name_errors(
    raw: Mapping[str, Any], short: set[str], paths: tuple[tuple[tuple[str, ...], str], ...] = PART_PATHS
) -> ErrorList:
    """An error for each part at ``paths`` whose ``base`` names no catalog entry of its kind
    (at the part itself when the file gave the name alone)."""
    errors: ErrorList = []
    for path, kind in paths:
        part = _at(raw, path)
        if not isinstance(part, Mapping) or not isinstance(part.get("base"), str):
            continue
        known = catalog.names(kind)
        if part["base"] not in known:
            where = ".".join(path) if ".".join(path) in short else ".".join((*path, "base"))
            errors.append((where, unknown_name_message(kind, part["base"], known)))
    return errors


def required_field_errors(
    raw: Mapping[str, Any], paths: tuple[tuple[tuple[str, ...], str], ...] = PART_PATHS
) -> ErrorList:
    """An error for each inline part at ``paths`` that neither gives every field nor names a ``base``."""
    errors: ErrorList = []
    for path, kind in paths:
        part = _at(raw, path)
        if not isinstance(part, Mapping):
            continue
        missing = required_missing(kind, part)
        if missing:
            message = (
                f"missing {', '.join(missing)}; an inline {kind} gives every field, or names a catalog "
                f"entry as `base: <name>` and overrides some (known: {', '.join(catalog.names(kind))})"
            )
            errors.append((".".join(path), message))
    return errors


def _resolve_model(raw: Any, shorthand: bool, base_dir: Path, errors: ErrorList) -> Model | None:
    if not isinstance(raw, Mapping):
        return None  # missing or of the wrong type: the schema pass reported it
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    has_catalog, has_config = "catalog" in raw, "config" in raw
    if has_catalog == has_config:
        errors.append(("model", "give exactly one of: a catalog model name, or config: path/to/config.json"))
        return None
    if has_catalog:
        return _catalog_model(raw["catalog"], name, "model" if shorthand else "model.catalog", errors)
    return _config_model(raw["config"], name, base_dir, errors)


def _catalog_model(value: Any, name: str | None, where: str, errors: ErrorList) -> Model | None:
    if not isinstance(value, str):
        return None
    known = catalog.names("model")
    if value not in known:
        errors.append((where, unknown_name_message("model", value, known)))
        return None
    try:
        model = catalog.model(value)
    except CatalogError as e:
        errors.append((where, str(e)))
        return None
    return replace(model, arch=replace(model.arch, name=name)) if name else model


def _config_model(value: Any, name: str | None, base_dir: Path, errors: ErrorList) -> Model | None:
    if not isinstance(value, str) or not value.strip():
        return None
    path = (base_dir / value).resolve()
    try:
        text = read_user_text(path, MAX_MODEL_CONFIG_BYTES)
    except InputLimitError as e:
        errors.append(("model.config", e.message))
        return None
    except (OSError, UnicodeDecodeError) as e:
        errors.append(("model.config", f"cannot read {path}: {getattr(e, 'strerror', None) or e}"))
        return None
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as e:
        errors.append(("model.config", f"{path} is not valid JSON: line {e.lineno}, column {e.colno}: {e.msg}"))
        return None
    except RecursionError:
        errors.append(("model.config", f"{path} nests its JSON too deeply to be a model config"))
        return None
    try:
        return build_model(parse_arch(cfg, name=name))
    except ArchError as e:
        errors.append(("model.config", f"{path}: field {e.field}: {e.message}"))
        return None


def ordered_by(errors: ErrorList, spec: type[BaseModel]) -> ErrorList:
    """Errors in the order of the spec's top-level fields (unknown keys first)."""
    order = {key: i for i, key in enumerate(spec.model_fields)}
    return sorted(errors, key=lambda e: order.get(e[0].split(".")[0], -1))


# --- pass 3: building ---------------------------------------------------------------------


_BUILDERS: Mapping[str, Callable[..., Any]] = {"chip": build_chip, "link": build_link, "memory": build_memory}


def _build(spec: SystemSpec, model: Model, source: str, default_name: str) -> System:
    chip = _part("chip", spec.chip, source)
    precisions = spec.precisions.to_precisions()
    errors = _precision_errors(chip, precisions)
    if errors:
        raise ConfigError(errors, source)
    return System(
        name=spec.name or default_name,
        model=model,
        chip=chip,
        link=_part("link", spec.link, source),
        kv_memory=KVMemory(tech=_part("memory", spec.kv_memory.tech, source), units_per_group=spec.kv_memory.units_per_group),
        precisions=precisions,
        mapping=spec.mapping.to_options(spec.workload.context),
        workload=spec.workload.to_workload(),
    )


def _precision_errors(chip: Chip, p: Precisions) -> ErrorList:
    """The chip must have a FLOP rate and an energy per FLOP for the weight precision (linear
    layers) and the KV precision (attention)."""
    errors: ErrorList = []
    for field, precision in (("weights", p.weights), ("kv", p.kv)):
        for what, lookup in (("peak_flops", chip.flop_rate), ("energy_per_flop", chip.flop_energy)):
            try:
                lookup(precision)
            except KeyError:
                have = ", ".join(sorted(k.value for k in getattr(chip, _CHIP_TABLES[what])))
                errors.append((f"precisions.{field}", f"chip {chip.name} has no {what} figure for {precision.value} "
                                                      f"(it has: {have}); pick one of those or give the chip that figure"))
    return errors


_CHIP_TABLES = {"peak_flops": "peak_flop_per_s", "energy_per_flop": "energy_j_per_flop"}


def _part(kind: str, spec: ChipSpec | LinkSpec | MemorySpec | None, source: str) -> Any:
    """A catalog part, the catalog part with the user's overrides, or a wholly inline part."""
    if spec is None:
        return catalog.entry(kind).part  # chip and link: the catalog default
    base: Chip | Link | MemoryTech | None = catalog.entry(kind, spec.base).part if spec.base else None
    if base is not None and _unchanged(spec):
        return base
    return _BUILDERS[kind](spec, _part_name(spec, kind), user_sources(kind, _PART_PATHS[kind], spec, base, source), base)


def _unchanged(spec: ChipSpec | LinkSpec | MemorySpec) -> bool:
    return spec.base is not None and spec.name is None and not given_fields(spec)


def _part_name(spec: ChipSpec | LinkSpec | MemorySpec, kind: str) -> str:
    if spec.name:
        return spec.name
    if spec.base:
        return f"{spec.base}+{'+'.join(given_fields(spec))}"
    return f"custom-{kind}"


_PART_PATHS = {"chip": "chip", "link": "link", "memory": "kv_memory.tech"}


def user_sources(kind: str, path: str, spec: Spec, base: Any, source: str) -> dict[str, str]:
    """The base part's sources, with every field the user set (under ``path`` in the file)
    pointing at the user's file."""
    out: dict[str, str] = dict(base.sources) if base is not None else {}
    for key, value in given_fields(spec).items():
        attr = FIELDS[kind][key]
        if key in PER_PRECISION:
            for precision in value:
                out[f"{attr}.{precision.value}"] = f"[user] {source}: {path}.{key}.{precision.value}"
        else:
            out[attr] = f"[user] {source}: {path}.{key}"
    return out
