"""Hardware: chips, links and memory technologies (and GPUs, the baseline)."""

from kvpipe.hardware.gpu import Gpu
from kvpipe.hardware.parts import Chip, Link, MemoryTech

__all__ = ["Chip", "Gpu", "Link", "MemoryTech"]
