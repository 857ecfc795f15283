"""Catalog entries: a part plus, for each of its numbers, where the number comes from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Generic, TypeVar

T = TypeVar("T")


class Firmness(str, Enum):
    """How firm a catalog number is: vendor claim, derived, uncertain or assumption."""

    VENDOR = "V"  # vendor claim or standard (datasheet, JEDEC, launch material)
    DERIVED = "D"  # derived from other cited figures; the source says how
    UNCERTAIN = "U"  # weak source (trade press, a talk transcript, blogs)
    ASSUMPTION = "A"  # our own assumption; the source says why

    @property
    def meaning(self) -> str:
        return _MEANING[self]

    @property
    def rank(self) -> int:
        """Higher is firmer: V 3, D 2, U 1, A 0."""
        return _RANK[self]


_MEANING = {
    Firmness.VENDOR: "vendor claim",
    Firmness.DERIVED: "derived",
    Firmness.UNCERTAIN: "uncertain",
    Firmness.ASSUMPTION: "assumption",
}
_RANK = {Firmness.VENDOR: 3, Firmness.DERIVED: 2, Firmness.UNCERTAIN: 1, Firmness.ASSUMPTION: 0}


@dataclass(frozen=True)
class ValueRange:
    """The plausible low and high of an uncertain number (SI units), and why these bounds."""

    low: float
    high: float
    source: str


@dataclass(frozen=True)
class Source:
    """Where one number comes from: a paper, datasheet or URL, or ``assumption: why``;
    for uncertain numbers optionally the range they may plausibly take."""

    text: str
    firmness: Firmness
    range: ValueRange | None = None

    def __str__(self) -> str:
        return f"[{self.firmness.value}] {self.text}"


class CatalogError(ValueError):
    """A shipped catalog file that is malformed (a bug in the data, not a user error)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("catalog data is invalid:\n" + "\n".join(f"  {p}: {m}" for p, m in errors))


class UnknownNameError(KeyError):
    """A catalog name that does not exist; the message lists the known names."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = known
        self.message = unknown_name_message(kind, name, known)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def unknown_name_message(kind: str, name: str, known: list[str]) -> str:
    return f'unknown {kind} "{name}"; known: {", ".join(known)}'


@dataclass(frozen=True)
class CatalogEntry(Generic[T]):
    """One named catalog entry.

    ``sources`` is keyed by the *part's* field names (``sram_bytes``, ``bw_bytes_per_s``;
    per-precision figures as ``peak_flop_per_s.bf16``). The part's own ``sources`` mapping
    holds the same, as strings ``"[firmness] text"``.
    """

    kind: str
    name: str
    part: T
    description: str = ""
    sources: Mapping[str, Source] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def firmness(self) -> Mapping[str, Firmness]:
        """The firmness mark of each sourced field."""
        return MappingProxyType({k: s.firmness for k, s in self.sources.items()})

    @property
    def weakest(self) -> Firmness | None:
        """The least firm mark over all fields (None for an entry without numbers)."""
        marks = [s.firmness for s in self.sources.values()]
        return min(marks, key=lambda f: f.rank) if marks else None
