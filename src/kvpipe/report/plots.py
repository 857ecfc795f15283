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
# zlib level of the PNG files: the same pixels as PIL's default (6) in two thirds of the time,
# files ~2 % larger (the report's figures: 25 instead of 36 ms each)
PNG_COMPRESSION = 3


def new_figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def render_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, laid out and drawn in one pass of the Agg canvas.

    (``Figure.savefig`` draws a figure with a layout engine twice: once to lay it out, once to
    paint it. The pixels are the same either way.) Within the drawing, ticks are made, and
    their labels measured and math text parsed, once where matplotlib repeats it."""
    canvas = FigureCanvasAgg(fig)
    figure_dpi = fig.dpi
    fig.dpi = dpi
    try:
        _share_mathtext(canvas.get_renderer())
        with _log_ticks_in_view(fig), _ticks_updated_once(fig):
            canvas.draw()
        buf = io.BytesIO()
        imsave(buf, canvas.buffer_rgba(), format="png", origin="upper", dpi=dpi, pil_kwargs={"compress_level": PNG_COMPRESSION})
    finally:
        fig.dpi = figure_dpi
    return buf.getvalue()


def render_png_and_clear(fig: Figure, dpi: int = DPI) -> bytes:
    """:func:`render_png` of a figure that is dropped once drawn: it is cleared afterwards,
    which breaks its artists' reference cycles, so that their memory is freed at once rather
    than left to the garbage collector's later passes (the test suite, which draws about fifty
    figures a process, took ~2 CPU s more without)."""
    png = render_png(fig, dpi)
    fig.clear()
    return png


# one math text parser per kind of renderer output, shared by every figure drawn (see _share_mathtext)
_MATHTEXT_PARSERS: dict[str, Any] = {}


def _share_mathtext(renderer: Any) -> None:
    """Let ``renderer`` parse math text (a log axis' tick labels: 10^n) with the parser of the
    figures drawn before. Matplotlib caches what its parser makes of a text (glyphs and their
    places; pyparsing takes milliseconds per label) per parser, and gives each renderer, so each
    figure, a parser of its own: every figure parsed the same labels again."""
    parser = getattr(renderer, "mathtext_parser", None)
    kind = getattr(parser, "_output_type", None)
    if kind is not None:  # matplotlib's own layout otherwise: the same pixels, parsed per figure
        renderer.mathtext_parser = _MATHTEXT_PARSERS.setdefault(kind, parser)


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


class _TicksOnce:
    """An axis' tick update (``Axis._update_ticks``: locate, format and place its ticks) and the
    measuring of its tick labels (``Axis._get_ticklabel_bboxes``), each done again only when
    something it depends on has changed since it was last done.

    Matplotlib updates an axis' ticks and measures their labels each time it is asked for the
    ticks to draw or their extent: for the axis' and its spines' extents, for every sibling of
    a shared axis, on each of the constrained layout's passes and when drawing; about eight
    times per axis and figure, each time making the same ticks from the same inputs. These
    are the view and data intervals, the axes' place and size in pixels (how many ticks fit,
    where the labels go), the dpi, the scale, locators, formatters and tick settings, the tick
    lists, and the formatters' own state (``locs``, which a formatter shared by several axes
    holds for the last one); the labels' extents also depend on the renderer."""

    # the axis' private parts read or replaced here (matplotlib 3.8 to 3.11); where one is
    # missing the axis is drawn as matplotlib draws it
    NEEDS = ("_update_ticks", "_get_ticklabel_bboxes", "_scale", "_major_tick_kw", "_minor_tick_kw", "major", "minor")

    def __init__(self, axis: Any, fig: Figure) -> None:
        self.axis, self.fig = axis, fig
        self.update, self.measure = axis._update_ticks, axis._get_ticklabel_bboxes
        self.state: tuple[Any, ...] | None = None
        self.ticks: list[Any] = []
        self.measured_for: tuple[Any, ...] | None = None  # (state, ticks, renderer) of self.boxes
        self.boxes: tuple[list[Any], list[Any]] = ([], [])

    def _state(self) -> tuple[Any, ...]:
        a = self.axis
        return (
            tuple(a.get_view_interval()), tuple(a.get_data_interval()), a.axes.bbox.bounds,
            self.fig.dpi, a._scale, a.major.locator, a.minor.locator,
            a.major.formatter, a.minor.formatter, _formatter_locs(a.major.formatter), _formatter_locs(a.minor.formatter),
            _settings(a._major_tick_kw), _settings(a._minor_tick_kw), a.__dict__.get("majorTicks"),
            a.__dict__.get("minorTicks"), *(len(a.__dict__.get(n) or ()) for n in ("majorTicks", "minorTicks")),
        )

    def ticks_to_draw(self) -> list[Any]:
        if self.state is None or self.state != self._state():
            self.ticks = self.update()
            self.state = self._state()
            self.measured_for = None
        return list(self.ticks)

    def ticklabel_bboxes(self, ticks: list[Any], renderer: Any) -> tuple[list[Any], list[Any]]:
        key = (self._state(), list(ticks), renderer)
        if self.measured_for is None or self.measured_for != key:
            self.boxes = self.measure(ticks, renderer)
            self.measured_for = key
        return list(self.boxes[0]), list(self.boxes[1])


def _formatter_locs(formatter: Any) -> tuple[float, ...]:
    """The tick locations a formatter was last given (``_locs`` from matplotlib 3.11, ``locs`` before)."""
    state = vars(formatter)
    return tuple(state.get("_locs", state.get("locs", ())))


def _settings(tick_kw: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """An axis' tick settings as comparable text (a value may be an array, a colour)."""
    return tuple(sorted((k, repr(v)) for k, v in tick_kw.items()))


@contextmanager
def _ticks_updated_once(fig: Figure) -> Iterator[None]:
    """Within: every axis of the figure updates its ticks and measures their labels only when
    their inputs have changed (:class:`_TicksOnce`; the drawing is the same); afterwards the
    axes are as they were."""
    axes: list[Any] = [axis for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
                       if all(hasattr(axis, n) for n in _TicksOnce.NEEDS)]
    for axis in axes:
        once = _TicksOnce(axis, fig)
        axis._update_ticks, axis._get_ticklabel_bboxes = once.ticks_to_draw, once.ticklabel_bboxes
    try:
        yield
    finally:
        for axis in axes:
            del axis._update_ticks, axis._get_ticklabel_bboxes


def users_axis(ax: Any, users: np.ndarray) -> None:
    """A log axis of users in flight over the sweep's range, with grouped whole numbers."""
    ax.set_xscale("log")
    ax.set_xlim(users[0], users[-1])
    ax.set_xlabel("users in flight (sequences sharing the pipeline)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)
