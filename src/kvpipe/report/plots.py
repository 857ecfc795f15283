"""The figure primitives every report module draws with: a figure of a given size, its PNG
bytes, and the users axis the load sweeps share."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.ticker import FuncFormatter, Locator, LogLocator

DPI = 100


def new_figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def render_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, laid out and drawn in one pass of the Agg canvas.

    (``Figure.savefig`` draws a figure with a layout engine twice: once to lay it out, once to
    paint it. The pixels are the same either way.)"""
    canvas = FigureCanvasAgg(fig)
    figure_dpi = fig.dpi
    fig.dpi = dpi
    try:
        with _log_ticks_in_view(fig):
            canvas.draw()
        buf = io.BytesIO()
        imsave(buf, canvas.buffer_rgba(), format="png", origin="upper", dpi=dpi)
    finally:
        fig.dpi = figure_dpi
    return buf.getvalue()


class InViewLocator(Locator):
    """The ticks of a log locator that lie in the axis' view (a hair beyond either end kept).

    Matplotlib's :class:`~matplotlib.ticker.LogLocator` returns a decade more on either side;
    each of those becomes a tick that is made, placed and labelled on every layout pass but
    never drawn: about a third of the ticks of a users axis over four decades."""

    REL_MARGIN = 1e-6  # wider than the tolerance matplotlib draws a tick at an end with

    def __init__(self, base: LogLocator) -> None:
        self.base = base
        super().set_axis(base.axis)

    def set_axis(self, axis: Any) -> None:
        super().set_axis(axis)
        self.base.set_axis(axis)

    def __call__(self) -> Any:
        assert self.axis is not None, "set on an axis before it is asked for ticks"
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> Any:
        ticks = np.asarray(self.base.tick_values(vmin, vmax))
        lo, hi = sorted((vmin, vmax))
        return ticks[(ticks >= lo * (1 - self.REL_MARGIN)) & (ticks <= hi * (1 + self.REL_MARGIN))]

    def nonsingular(self, v0: float, v1: float) -> tuple[float, float]:
        return self.base.nonsingular(v0, v1)

    def view_limits(self, vmin: float, vmax: float) -> tuple[float, float]:
        return self.base.view_limits(vmin, vmax)


@contextmanager
def _log_ticks_in_view(fig: Figure) -> Iterator[None]:
    """Within: every log locator of the figure's axes behind an :class:`InViewLocator` (the
    drawing is the same); afterwards the figure's locators are as they were."""
    swapped: list[tuple[Any, LogLocator]] = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for ticker in (axis.major, axis.minor):  # shared axes share these: wrapped once
                if isinstance(ticker.locator, LogLocator):
                    swapped.append((ticker, ticker.locator))
                    ticker.locator = InViewLocator(ticker.locator)
    try:
        yield
    finally:
        for ticker, locator in reversed(swapped):
            ticker.locator = locator


def users_axis(ax: Any, users: np.ndarray) -> None:
    """A log axis of users in flight over the sweep's range, with grouped whole numbers."""
    ax.set_xscale("log")
    ax.set_xlim(users[0], users[-1])
    ax.set_xlabel("users in flight (sequences sharing the pipeline)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)
