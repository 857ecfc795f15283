"""Plots of a simulation result, on the toy system."""

from toy import toy_system

from kvpipe.report.sim_figures import LATENCIES, fig_latency_cdf, fig_power_and_occupancy
from kvpipe.sim import Fixed, SimConfig, open_loop, simulate


def _result():
    reqs = open_loop(200.0, 0.5, Fixed(8), Fixed(4), seed=3)
    return simulate(toy_system(users=4, context=64), reqs, SimConfig(), seed=3)


def test_latency_cdf_panels():
    r = _result()
    fig = fig_latency_cdf(r)
    assert len(fig.axes) == len(LATENCIES)
    ttft = fig.axes[0]
    (line,) = ttft.get_lines()[:1]
    y = line.get_ydata()
    # a cumulative distribution: non-decreasing, ending at 1
    assert all(b >= a for a, b in zip(y, y[1:], strict=False))
    assert y[-1] == 1.0
    assert ttft.get_xscale() == "log"


def test_series_panels_have_units():
    fig = fig_power_and_occupancy(_result())
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels[0] == "power [W]"
    assert "KV occupancy" in labels[2]
    assert fig.axes[-1].get_xlabel() == "simulated time [s]"
