"""Reading a user's DRAM device description file (edge code around ``kvpipe.memory``)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kvpipe.config.limits import brief, out_of_bounds
from kvpipe.config.loader import ConfigError, read_user_file, read_yaml
from kvpipe.config.units import Kind, format_quantity
from kvpipe.memory import Device, DeviceError, device_from_dict


def load_device(path: str | os.PathLike[str]) -> Device:
    """A validated :class:`~kvpipe.memory.Device` from a YAML file; every problem is reported
    at once as a :class:`ConfigError` naming the field."""
    p = Path(path)
    data = read_yaml(read_user_file(p), source=str(p))
    if not isinstance(data, dict):
        raise ConfigError([("", "expected a mapping of device fields (name, organization, timing, energy, attachment)")],
                          source=str(p))
    errors = list(_numbers_out_of_range(data, ""))
    if errors:
        raise ConfigError(errors, source=str(p))
    try:
        device = device_from_dict(data)
    except DeviceError as e:
        raise ConfigError(e.errors, source=str(p)) from None
    for what, value, kind in (("capacity", device.capacity_bytes, Kind.BYTES),
                              ("peak bandwidth", device.peak_bw_bytes_per_s, Kind.BYTES_PER_S)):
        problem = out_of_bounds(value, kind, positive=True)
        if problem:
            errors.append(("organization", f"the device's {what} {format_quantity(value, kind)} {problem}"))
    if errors:
        raise ConfigError(errors, source=str(p))
    return device


_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
MAX_MAGNITUDE = 1e21  # any number written in a device file, before its unit (0, or 1e-21 .. 1e21)


def _numbers_out_of_range(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every number in the document (plain, or leading a unit string) that is not finite or
    lies outside 1e-21 .. 1e21 in magnitude: such a figure describes no device, and its
    products would overflow."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers_out_of_range(value, f"{path}.{key}" if path else str(key))
        return
    if isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numbers_out_of_range(value, f"{path}[{i}]")
        return
    x: float | None = None
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        x = float(node)
    elif isinstance(node, str):
        m = _NUMBER.match(node)
        x = float(m.group(0)) if m else (math.nan if node.strip().lower().lstrip("+-") in ("inf", "nan", "infinity") else None)
    if x is not None and not (x == 0 or (math.isfinite(x) and 1 / MAX_MAGNITUDE <= abs(x) <= MAX_MAGNITUDE)):
        yield path, f"expected a finite number between 1e-21 and 1e21 (or 0), got {brief(node)}"
