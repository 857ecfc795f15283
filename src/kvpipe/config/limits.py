"""Limits on what a user's file may ask of kvpipe, checked before any work is done.

A hostile or mistaken input must end in a clear error naming the field, not in a hang, a
memory blow-up or a traceback (docs/config.md, "Input limits"):

* files are read only up to a size cap (:func:`read_user_text`);
* YAML may nest at most :data:`MAX_YAML_DEPTH` levels, and its aliases may expand the
  document to at most :data:`MAX_YAML_NODES` values, checked on the composed node graph,
  before anything is built or rendered into an error message (a "billion laughs" file is
  rejected after reading a few hundred bytes);
* every quantity lies within :data:`QUANTITY_BOUNDS`, far beyond any real part either way
  but close enough that every figure derived from them stays finite (``static_power: 1e308 W``
  would otherwise give infinite joules);
* a value shown in an error message is shortened (:func:`brief`).
"""

from __future__ import annotations

import os
import reprlib
from pathlib import Path
from typing import Any

import yaml

from kvpipe.config.units import Kind, format_quantity

MAX_CONFIG_BYTES = 1_000_000  # a system, sweep or device file: the shipped ones are < 5 kB
MAX_MODEL_CONFIG_BYTES = 4_000_000  # a Hugging Face config.json: real ones are < 100 kB
MAX_TRACE_BYTES = 256_000_000  # a request trace: ~6 million lines of an Azure CSV (~1 GB while parsed)
MAX_YAML_DEPTH = 32  # nested mappings and lists; a system file uses 4
MAX_YAML_NODES = 100_000  # values after expanding aliases; a system file has ~100
MAX_USERS = 1_000_000  # users (sequences) in flight, simulator seats or clients: the seed study needs < 1,000


# (smallest value a field that must be > 0 may take, largest value any field may take), SI
QUANTITY_BOUNDS: dict[Kind, tuple[float, float]] = {
    Kind.BYTES: (1.0, 1e21),  # 1 B .. 1 ZB
    Kind.BYTES_PER_S: (1.0, 1e21),  # 1 B/s .. 1 ZB/s
    Kind.SECONDS: (1e-15, 1e3),  # 1 fs .. 1000 s
    Kind.J_PER_BIT: (1e-21, 1e-6),  # 1 zJ/bit .. 1 uJ/bit
    Kind.J_PER_FLOP: (1e-21, 1e-6),
    Kind.FLOP_PER_S: (1.0, 1e24),  # 1 FLOP/s .. 1 YFLOP/s
    Kind.WATTS: (1e-12, 1e9),  # 1 pW .. 1 GW
    Kind.AREA_MM2: (1e-6, 1e6),  # 1 um^2 .. 1 m^2
    Kind.LENGTH_MM: (1e-6, 1e6),  # 1 nm .. 1 km
    # device files (docs/memory.md section 1)
    Kind.JOULES: (1e-21, 1e3),  # 1 zJ .. 1 kJ per operation
    Kind.VOLTS: (1e-3, 1e3),  # 1 mV .. 1 kV
    Kind.AMPERES: (1e-12, 1e6),  # 1 pA .. 1 MA
    Kind.BITS_PER_S: (1.0, 1e15),  # 1 b/s .. 1 Pb/s per pin
    Kind.J_PER_BIT_MM: (1e-21, 1e-6),
}


def out_of_bounds(x: float, kind: Kind, positive: bool) -> str | None:
    """Why the parsed quantity ``x`` is outside :data:`QUANTITY_BOUNDS`, or ``None``.

    Zero stays allowed where the field allows it (``positive=False``)."""
    low, high = QUANTITY_BOUNDS[kind]
    if x > high:
        return f"must be at most {format_quantity(high, kind)} (kvpipe's bound for any part)"
    if positive and x < low:
        return f"must be at least {format_quantity(low, kind)} (kvpipe's bound for any part)"
    return None


class InputLimitError(ValueError):
    """An input beyond one of the limits above; ``field`` names where (``""``: the whole file)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


def read_user_text(path: str | os.PathLike[str], limit_bytes: int = MAX_CONFIG_BYTES) -> str:
    """The UTF-8 text of a user's file, refusing one larger than ``limit_bytes``.

    Raises :class:`OSError` and :class:`UnicodeDecodeError` as ``Path.read_text`` does, and
    :class:`InputLimitError` for a file over the cap (read no further than the cap, so a
    device file or a FIFO cannot make it read forever).
    """
    p = Path(path)
    with p.open("rb") as fh:
        data = fh.read(limit_bytes + 1)
    if len(data) > limit_bytes:
        raise InputLimitError("", f"{p} is larger than {limit_bytes:,} bytes, the limit for this kind of file")
    return data.decode("utf-8")


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxdict, _BRIEF.maxstring, _BRIEF.maxother = 2, 4, 4, 60, 60


def brief(value: Any) -> str:
    """``value`` as a short text for an error message: strings quoted, containers cut off."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:57]}..."'
    return _BRIEF.repr(value)


class LimitedLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses deep nesting and alias expansion past the limits."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._path: list[str] = []  # where the node being composed sits: keys and [indices]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if isinstance(parent, yaml.MappingNode) and isinstance(index, yaml.ScalarNode):
            step = f".{index.value}"
        elif isinstance(parent, yaml.SequenceNode) and isinstance(index, int):
            step = f"[{index}]"
        else:
            step = ""  # the document, or a mapping's key
        self._path.append(step)
        try:
            if len(self._path) > MAX_YAML_DEPTH:
                line = self.peek_event().start_mark.line + 1
                steps = [step for step in self._path if step]
                where = "".join(steps[:4]).lstrip(".") + ("..." if len(steps) > 4 else "")
                raise InputLimitError(where, f"YAML nested more than {MAX_YAML_DEPTH} levels deep (line {line})")
            return super().compose_node(parent, index)
        finally:
            self._path.pop()

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return self.construct_document(node)


def check_expansion(root: yaml.Node) -> None:
    """Raise :class:`InputLimitError` naming the field whose aliases expand past
    :data:`MAX_YAML_NODES` values or :data:`MAX_YAML_DEPTH` levels, or that contains itself.

    Sizes are memoised per node, so the check visits each distinct node once and expands
    nothing.
    """
    sizes: dict[int, int] = {}  # values under a node, aliases expanded
    heights: dict[int, int] = {}  # levels under a node, aliases expanded
    open_: set[int] = set()

    def size(node: yaml.Node, path: str, level: int) -> int:
        key = id(node)
        if key in open_:
            raise InputLimitError(path, "an alias refers to the value that contains it (a recursive structure)")
        if level + heights.get(key, 1) - 1 > MAX_YAML_DEPTH:  # aliases within aliases nest deeper than the text
            raise InputLimitError(path, f"aliases nest this value more than {MAX_YAML_DEPTH} levels deep")
        if key in sizes:
            return sizes[key]
        open_.add(key)
        total, height = 1, 1
        for child_path, child in _children(node, path):
            total += size(child, child_path, level + 1)
            height = max(height, heights[id(child)] + 1)
        open_.discard(key)
        sizes[key], heights[key] = total, height
        return total

    if size(root, "", 1) <= MAX_YAML_NODES:
        return
    path, node = "", root
    while True:  # descend into the part that is too large, to name the field
        over = [(p, c) for p, c in _children(node, path) if sizes[id(c)] > MAX_YAML_NODES]
        if not over:
            break
        path, node = over[0]
    raise InputLimitError(
        path, f"YAML aliases expand this value to more than {MAX_YAML_NODES:,} values"
    )


def _children(node: yaml.Node, path: str) -> list[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.SequenceNode):
        return [(f"{path}[{i}]", c) for i, c in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[str, yaml.Node]] = []
        for k, v in node.value:
            name = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
            out += [(path, k), (f"{path}.{name}" if path else name, v)]
        return out
    return []
