"""Reading a user's DRAM device file (``kvpipe memory ... --device FILE``), at the edge.

The file is read size-limited and parsed as YAML like every user file, then goes the one path
of device files (:mod:`kvpipe.config.device_spec`: spec, rules, factory); every mistake is
raised at once as a :class:`ConfigError` naming its field path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kvpipe.config.device_spec import device_from_document
from kvpipe.config.loader import ConfigError, read_user_file, read_yaml
from kvpipe.config.schema import ErrorList
from kvpipe.memory import Device


def load_device(path: str | os.PathLike[str]) -> Device:
    """A validated :class:`~kvpipe.memory.Device` from a YAML file."""
    p = Path(path)
    return parse_device(read_yaml(read_user_file(p), source=str(p)), source=str(p))


def parse_device(raw: Any, source: str = "device description") -> Device:
    """The :class:`~kvpipe.memory.Device` a loaded description (a mapping, as from YAML) gives,
    or a :class:`ConfigError` with every mistake."""
    errors: ErrorList = []
    device = device_from_document(raw, errors)
    if device is None:
        raise ConfigError(errors, source)
    return device


__all__ = ["load_device", "parse_device"]
