"""The figure primitives: PNG bytes drawn in one pass, log ticks limited to the view."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.ticker import FuncFormatter, LogLocator

from kvpipe.report.plots import InViewLocator, _ticks_updated_once, _TicksOnce, new_figure, render_png, users_axis


def _log_figure() -> Figure:
    """A log-log panel (a users axis; y autoscaled, so through the locator's view limits) with a
    legend and a note: what the report figures are made of."""
    fig = new_figure(5.0, 3.0)
    ax = fig.subplots()
    users = np.logspace(0, 4, 50)
    ax.plot(users, 1e3 / users, label="tokens/s per user")
    users_axis(ax, users)
    ax.set_yscale("log")
    ax.set_ylabel("rate [tokens/s]")
    ax.annotate("90 % speed", xy=(30.0, 1e3 / 30.0), xytext=(4, 4), textcoords="offset points")
    ax.legend(loc="lower left")
    fig.suptitle("a log-log figure")
    return fig


def test_a_png_has_the_pixels_savefig_draws() -> None:
    ours = imread(io.BytesIO(render_png(_log_figure())), format="png")
    buf = io.BytesIO()
    _log_figure().savefig(buf, format="png", dpi=100)
    theirs = imread(io.BytesIO(buf.getvalue()), format="png")
    assert ours.shape == theirs.shape == (300, 500, 4)  # 5 x 3 in at 100 dpi
    assert np.array_equal(ours, theirs)


def test_a_png_leaves_the_figure_as_it_was() -> None:
    fig = _log_figure()
    ax = fig.axes[0]
    locators = (ax.xaxis.get_major_locator(), ax.xaxis.get_minor_locator(), ax.yaxis.get_minor_locator())
    png = render_png(fig, dpi=50)
    assert imread(io.BytesIO(png), format="png").shape == (150, 250, 4)  # at another dpi
    assert fig.dpi == 100
    assert (ax.xaxis.get_major_locator(), ax.xaxis.get_minor_locator(), ax.yaxis.get_minor_locator()) == locators
    assert all(type(loc) is LogLocator for loc in locators)


def test_log_ticks_are_the_ones_in_view() -> None:
    fig = new_figure(4.0, 3.0)
    ax = fig.subplots()
    ax.set_xscale("log")
    ax.set_xlim(1.0, 1e4)
    major = InViewLocator(LogLocator(base=10.0))
    ax.xaxis.set_major_locator(major)
    # LogLocator adds a decade at either end (0.1 and 1e5); the view holds 1 ... 1e4, ends included
    assert list(major()) == [1.0, 10.0, 100.0, 1e3, 1e4]
    minor = InViewLocator(LogLocator(base=10.0, subs=(2.0, 5.0)))
    ax.xaxis.set_minor_locator(minor)
    assert list(minor()) == [2.0, 5.0, 20.0, 50.0, 200.0, 500.0, 2e3, 5e3]


def _shared_linear_figure() -> Figure:
    """Three panels sharing a linear y axis (one locator and formatter for all) with wide tick
    labels, so that the layout narrows the panels and with them the number of x ticks that
    fit, and a log panel with 10^n labels (math text)."""
    fig = new_figure(6.0, 3.0)
    ax1, ax2, ax3 = fig.subplots(1, 3, sharey=True, gridspec_kw={"width_ratios": [3.0, 1.0, 1.0]})
    x = np.linspace(0.0, 37.0, 20)
    ax1.plot(x, 1e6 + x**2)
    ax2.plot(x[:5], 1e6 + x[:5])
    ax3.plot(np.logspace(0, 5, 20), 1e6 + x)
    ax3.set_xscale("log")
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.1f} tokens per second per user"))  # wide: narrows the panels
    ax1.set_ylabel("rate")
    fig.suptitle("shared axes")
    return fig


def test_shared_axes_have_the_pixels_savefig_draws() -> None:
    buf = io.BytesIO()
    _shared_linear_figure().savefig(buf, format="png", dpi=100)
    theirs = imread(io.BytesIO(buf.getvalue()), format="png")
    for _ in range(2):  # the second time, the math text labels of the log axis are parsed already
        fig = _shared_linear_figure()
        ours = imread(io.BytesIO(render_png(fig)), format="png")
        assert all(vars(axis).keys().isdisjoint({"_update_ticks", "_get_ticklabel_bboxes"})
                   for ax in fig.axes for axis in (ax.xaxis, ax.yaxis))
        assert np.array_equal(ours, theirs)


def test_ticks_and_labels_are_made_again_where_the_axes_moved() -> None:
    # within a drawing, an axis' ticks and label extents are kept while nothing they depend on
    # changes; constrained layout moves and resizes the axes between its passes
    fig = _shared_linear_figure()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    with _ticks_updated_once(fig):
        before = ax.xaxis.get_tightbbox(renderer).bounds
        assert ax.xaxis.get_tightbbox(renderer).bounds == before
        ax.set_position([0.5, 0.5, 0.2, 0.3])  # narrower: fewer x ticks fit
        moved = ax.xaxis.get_tightbbox(renderer).bounds
        n_moved = len(ax.xaxis._update_ticks())
    assert moved != before
    assert moved == ax.xaxis.get_tightbbox(renderer).bounds  # as matplotlib measures it
    assert n_moved == len(ax.xaxis._update_ticks())


def test_an_axis_without_the_private_parts_is_drawn_as_matplotlib_draws_it(monkeypatch) -> None:
    # another matplotlib may lack a private part the tick cache reads: then the axis is left alone
    monkeypatch.setattr(_TicksOnce, "NEEDS", (*_TicksOnce.NEEDS, "_a_part_no_matplotlib_has"))
    fig = _log_figure()
    with _ticks_updated_once(fig):
        assert all("_update_ticks" not in vars(axis) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis))
    buf = io.BytesIO()
    _log_figure().savefig(buf, format="png", dpi=100)
    assert np.array_equal(imread(io.BytesIO(render_png(fig)), format="png"), imread(io.BytesIO(buf.getvalue()), format="png"))
