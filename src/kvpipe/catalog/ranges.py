"""The catalog's stated ranges of uncertain (U) and assumed (A) figures, as the inputs of the
seed study's sensitivity and Monte Carlo (:mod:`kvpipe.explore.uncertainty`)."""

from __future__ import annotations

from kvpipe.catalog import entry, names
from kvpipe.catalog.entry import Firmness
from kvpipe.explore.uncertainty import UncertainInput, field_value
from kvpipe.system import System

# which figures of the HBM3E reference enter the claims: its read energy (its bandwidth is a vendor figure)
HBM3E_FIELDS = ("read_j_per_bit",)


def stated_ranges(system: System, hbm3e: str = "hbm3e") -> tuple[UncertainInput, ...]:
    """Every U/A figure with a stated range of the catalog parts the system names (chip, link)
    and of the HBM3E reference, at the catalog's values."""
    found: list[UncertainInput] = []
    for prefix, kind, name in (("chip", "chip", system.chip.name), ("link", "link", system.link.name),
                               ("hbm3e", "memory", hbm3e)):
        if name not in names(kind):
            continue
        e = entry(kind, name)
        for key, src in e.sources.items():
            if src.range is None or src.firmness not in (Firmness.UNCERTAIN, Firmness.ASSUMPTION):
                continue
            if prefix == "hbm3e" and key not in HBM3E_FIELDS:
                continue
            found.append(UncertainInput(f"{prefix}.{key}", name, src.firmness.value, field_value(e.part, key),
                                        src.range.low, src.range.high, src.range.source))
    return tuple(found)


__all__ = ["HBM3E_FIELDS", "stated_ranges"]
