"""Numeric precisions of weights, KV cache and activations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Precision(str, Enum):
    """A number format, named as users write it in configs."""

    FP32 = "fp32"
    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    FP4 = "fp4"
    INT4 = "int4"

    @property
    def bytes_per_elem(self) -> float:
        return _BYTES[self]

    @property
    def bits_per_elem(self) -> float:
        return 8.0 * _BYTES[self]


_BYTES: dict[Precision, float] = {
    Precision.FP32: 4.0,
    Precision.BF16: 2.0,
    Precision.FP16: 2.0,
    Precision.FP8: 1.0,
    Precision.INT8: 1.0,
    Precision.FP4: 0.5,
    Precision.INT4: 0.5,
}


@dataclass(frozen=True)
class Precisions:
    """Separate precision knobs for the three kinds of data a decode step touches.

    ``weights`` also sets the arithmetic precision of the linear layers (the MACs run in
    the weight format); attention arithmetic runs in the KV format.
    """

    weights: Precision = Precision.FP8
    kv: Precision = Precision.BF16
    activations: Precision = Precision.BF16
