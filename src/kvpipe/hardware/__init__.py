"""Hardware: chips, links and memory technologies."""

from kvpipe.hardware.parts import Chip, Link, MemoryTech

__all__ = ["Chip", "Link", "MemoryTech"]
