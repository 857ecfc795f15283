"""The figure primitives: PNG bytes drawn in one pass, log ticks limited to the view."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.ticker import LogLocator

from kvpipe.report.plots import InViewLocator, new_figure, render_png, users_axis


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
