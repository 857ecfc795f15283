"""Physics invariants of the analytic model over grids of design points."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import toy_system

from kvpipe.mapping import place
from kvpipe.perf import evaluate, inputs_from_system


def _grid(system, **changes):
    placement = place(system.model, system.precisions, system.chip, system.mapping)
    return evaluate(placement, inputs_from_system(system).with_(**changes))


USERS = np.arange(1, 400, dtype=float)


@pytest.mark.parametrize("context", [1, 100, 1000, 30_000])
def test_per_user_never_rises_and_aggregate_never_falls(context):
    r = _grid(toy_system(context=context), users=USERS)
    assert np.all(np.diff(r.tokens_per_s_per_user) <= 1e-9 * r.tokens_per_s_per_user[:-1])
    assert np.all(np.diff(r.tokens_per_s) >= -1e-9 * r.tokens_per_s[:-1])


def test_bandwidth_over_capacity_equals_tokens_per_user():
    # every token reads its user's whole context: read-bandwidth / capacity = tokens/s/user
    ctx = np.array([16.0, 1000.0, 8192.0])[:, None]
    r = _grid(toy_system(), users=USERS[None, :], context_tokens=ctx)
    fit = r.users_in_flight == r.users
    ratio = r.kv_read_bw_demand_bytes_per_s_per_group / r.kv_capacity_demand_bytes_per_group
    np.testing.assert_allclose(ratio[fit], r.tokens_per_s_per_user[fit], rtol=1e-12)
    # with the appended token, reads + writes are (1 + 1/context) of that
    total = r.kv_bw_demand_bytes_per_s_per_group / r.kv_capacity_demand_bytes_per_group
    np.testing.assert_allclose(total, (r.tokens_per_s_per_user * (1 + 1 / ctx))[...], rtol=1e-12)


def test_energy_per_token_is_power_over_rate():
    # power is built from watts (static + background) and dynamic J/token x rate; J/token from
    # the per-token components: the two paths must agree
    r = _grid(toy_system(), users=USERS, micro_batch=4.0)
    np.testing.assert_allclose(r.joules_per_token, r.power_w / r.tokens_per_s, rtol=1e-12)
    # static and background shares are the load-independent watts over the rate
    s = toy_system()
    np.testing.assert_allclose(r.energy.static * r.tokens_per_s, 2 * s.chip.static_power_w, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    users=st.integers(1, 5000),
    context=st.integers(1, 200_000),
    batch=st.integers(1, 64),
    bw=st.floats(1e6, 1e14),
)
def test_doubling_kv_bandwidth_never_slows_anything(users, context, batch, bw):
    s = toy_system(users=users, context=context, micro_batch=batch)
    r1 = _grid(s, kv_bw_bytes_per_s_per_group=bw)
    r2 = _grid(s, kv_bw_bytes_per_s_per_group=2 * bw)
    assert r2.tokens_per_s >= r1.tokens_per_s * (1 - 1e-12)
    assert r2.tokens_per_s_per_user >= r1.tokens_per_s_per_user * (1 - 1e-12)
    assert r2.latency_s <= r1.latency_s * (1 + 1e-12)


def test_static_energy_amortizes_with_users():
    r = _grid(toy_system(), users=USERS)
    assert np.all(np.diff(r.energy.static) <= 1e-15)
    assert r.energy.static[0] > 2 * r.energy.static[-1]


def test_vectorized_equals_scalar_points():
    ctx = np.array([10.0, 5000.0])
    r = _grid(toy_system(), users=np.array([1.0, 7.0])[:, None], context_tokens=ctx[None, :])
    for i, u in enumerate([1, 7]):
        for j, c in enumerate([10, 5000]):
            one = _grid(toy_system(users=u, context=int(c)))
            assert float(one.tokens_per_s) == pytest.approx(r.tokens_per_s[i, j], rel=1e-12)
            assert float(one.joules_per_token) == pytest.approx(r.joules_per_token[i, j], rel=1e-12)


@pytest.mark.parametrize("name", ["toy", "seed", "seed-moe"])
def test_the_per_user_speed_alone_is_evaluates(name):
    # the searches for the 90 % point ask tokens_per_s_per_user; it must be evaluate's own figure
    # at every point: below and past the KV capacity, over contexts and KV bandwidths
    from kvpipe.catalog import system_yaml
    from kvpipe.config import parse_system_yaml, seed_system
    from kvpipe.perf.spatial import tokens_per_s_per_user

    moe = system_yaml("seed").replace("model: llama-3.1-70b", "model: qwen3-30b-a3b")
    system = {"toy": toy_system, "seed": seed_system, "seed-moe": lambda: parse_system_yaml(moe)}[name]()
    placement = place(system.model, system.precisions, system.chip, system.mapping)
    base = inputs_from_system(system)
    inputs = base.with_(users=np.geomspace(1, 1e6, 40)[None, :, None],
                        context_tokens=np.array([1.0, 1000.0, 100_000.0])[:, None, None],
                        kv_bw_bytes_per_s_per_group=base.kv_bw_bytes_per_s_per_group * np.array([0.1, 1.0, 10.0]))
    assert np.array_equal(tokens_per_s_per_user(placement, inputs), evaluate(placement, inputs).tokens_per_s_per_user)
