"""Reading a user's DRAM device description file (edge code around ``kvpipe.memory``)."""

from __future__ import annotations

import os
from pathlib import Path

from kvpipe.config.limits import InputLimitError, read_user_text
from kvpipe.config.loader import ConfigError, read_yaml
from kvpipe.memory import Device, DeviceError, device_from_dict


def load_device(path: str | os.PathLike[str]) -> Device:
    """A validated :class:`~kvpipe.memory.Device` from a YAML file; every problem is reported
    at once as a :class:`ConfigError` naming the field."""
    p = Path(path)
    try:
        text = read_user_text(p)
    except InputLimitError as e:
        raise ConfigError([("", e.message)], source=str(p)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError([("", f"cannot read {p}: {getattr(e, 'strerror', None) or e}")], source=str(p)) from None
    data = read_yaml(text, source=str(p))
    if not isinstance(data, dict):
        raise ConfigError([("", "expected a mapping of device fields (name, organization, timing, energy, attachment)")],
                          source=str(p))
    try:
        return device_from_dict(data)
    except DeviceError as e:
        raise ConfigError(e.errors, source=str(p)) from None
