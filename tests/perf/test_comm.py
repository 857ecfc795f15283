"""Topology-aware communication (docs/model.md C1..C6): hand-worked numbers and invariants."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import TOY_CHIP, TOY_LINK, toy_system

from kvpipe.hardware.parts import BoundaryLevel, Collective
from kvpipe.perf import evaluate_system
from kvpipe.perf.comm import collective_time_s, mesh_time_s, path_crossings_s, stage_latency_s, step_latency_s

US = 1e-6

# --- hand-worked formulas --------------------------------------------------------------------


def test_ring_all_reduce_by_hand() -> None:
    # P = 4, hop 1 us, m = 8,192 B, beta = 1e11 B/s per direction:
    # 2 x 3 x 1 us + 2 x 3/4 x 8,192 / 1e11 = 6 us + 1.5 x 81.92 ns = 6.12288 us
    t = collective_time_s("ring", 4, 1 * US, 8192.0, 1e11)
    assert float(t) == pytest.approx(6.12288e-6, rel=1e-12)


def test_tree_all_reduce_pays_each_level_its_steps_cross() -> None:
    # P = 8, hop 1 us; a card holds 2 chips (+0.5 us to leave it), a server 4 (+2 us).
    # step 0 spans 2 chips: no level left          -> 1.0 us
    # step 1 spans 4 chips: leaves the card        -> 1.5 us
    # step 2 spans 8 chips: leaves card and server -> 3.5 us      alpha total 6 us
    # bandwidth: 3 steps x 1,000 B / 1e9 B/s = 3 us               total 9 us
    levels = (BoundaryLevel("card", 2, 0.5 * US), BoundaryLevel("server", 4, 2 * US))
    t = collective_time_s("tree", 8, 1 * US, 1000.0, 1e9, levels)
    assert float(t) == pytest.approx(9e-6, rel=1e-12)


def test_one_shot_all_reduce_by_hand() -> None:
    # P = 5 over a card of 4 chips (+1 us): alpha(5) = 2 + 1 = 3 us; (5-1) x 500 B / 1e9 = 2 us -> 5 us
    t = collective_time_s("one-shot", 5, 2 * US, 500.0, 1e9, (BoundaryLevel("card", 4, 1 * US),))
    assert float(t) == pytest.approx(5e-6, rel=1e-12)


def test_one_participant_has_no_collective() -> None:
    assert float(collective_time_s("ring", 1, 1 * US, 1e6, 1e9)) == 0.0


def test_mesh_region_by_hand() -> None:
    # 10,000 cores (100 x 100), 1 ns per hop: 2 x 100 x 1 ns = 200 ns; a quarter region: 2 x 50 x 1 ns
    assert float(mesh_time_s(10_000, 1e-9)) == pytest.approx(200e-9)
    assert float(mesh_time_s(2_500, 1e-9)) == pytest.approx(100e-9)


def test_stage_latency_by_hand() -> None:
    # 2.5 chip-equivalents -> P = 3, ring, hop 1 us, no payload; each chip's mesh of 400 cores
    # (20 x 20) at 2 ns a hop: C1 = 2 x 20 x 2 ns = 80 ns; ring 2 x 2 x 1 us = 4 us; overhead 0.3 us
    # stage = 0.08 + 4 + 0.3 = 4.38 us
    t = stage_latency_s(2.5, "ring", 1 * US, 0.0, 2e9, mesh_cores_per_chip=400, mesh_hop_latency_s=2e-9,
                        op_overhead_s=0.3 * US)
    assert float(t) == pytest.approx(4.38e-6, rel=1e-12)
    # a group on a third of a chip: region 400/3 cores, side 11.547; C1 = 2 x 11.547 x 2 ns = 46.19 ns; + hop
    t1 = stage_latency_s(1 / 3, "ring", 1 * US, 0.0, 2e9, mesh_cores_per_chip=400, mesh_hop_latency_s=2e-9)
    assert float(t1) == pytest.approx(1e-6 + 2 * math.sqrt(400 / 3) * 2e-9, rel=1e-12)


def test_path_crossings_by_hand() -> None:
    # 20 chips in order; cards of 4 (1 us) are crossed 5 - 1 = 4 times, racks of 16 (10 us) 2 - 1 = 1 time
    levels = (BoundaryLevel("card", 4, 1 * US), BoundaryLevel("rack", 16, 10 * US))
    assert path_crossings_s(20, levels) == pytest.approx(14e-6)
    assert path_crossings_s(4, levels) == 0.0


def test_without_topology_a_stage_is_one_hop() -> None:
    for chips in (0.2, 1.0, 7.3):
        assert float(stage_latency_s(chips, Collective.NONE, 1 * US, 1e4, 1e9)) == pytest.approx(1e-6)


# --- end to end on the toy system --------------------------------------------------------------


def test_toy_system_spread_over_chips_by_hand() -> None:
    """Toy model (tests/toy.py) on chips of 20,000 B SRAM, all of it usable:
    embedding 12,800 B = 0.64 chips (P 1), layer groups 73,984 B = 3.6992 chips (P 4),
    LM head 12,928 B = 0.6464 chips (P 1); 173,696 B -> 9 chips.
    Link: hop 1 us, 1e12 B/s (beta 5e11 each way), ring; a card holds 2 chips, leaving it 0.5 us.
      embedding, LM head: 1 stage each, one chip: 1 us each
      layer group: 6 stages, ring over 4 chips with alpha(4) = 1 + 0.5 = 1.5 us:
        2 x 3 x 1.5 us = 9 us + 2 x 3/4 x (1,024 B / 6) / 5e11 = 0.512 ns -> 9.000512 us per stage,
        54.003072 us per group, two groups 108.006144 us
      path: 9 chips cross ceil(9/2) - 1 = 4 card boundaries: 2 us
      communication per token: 1 + 108.006144 + 1 + 2 = 112.006144 us
    """
    chip = dataclasses.replace(TOY_CHIP, sram_bytes=20_000.0)
    link = dataclasses.replace(TOY_LINK, collective=Collective.RING, card_chips=2.0, card_latency_s=0.5 * US)
    base = toy_system()
    system = dataclasses.replace(
        base, chip=chip, link=link, mapping=dataclasses.replace(base.mapping, usable_sram_fraction=1.0)
    )
    r = evaluate_system(system)
    assert r.chips == 9
    assert float(r.comm_latency_s) == pytest.approx(112.006144e-6, rel=1e-9)


def test_toy_system_default_link_charges_one_hop_per_stage() -> None:
    # 14 communication stages (test_golden.py) x 1 us
    r = evaluate_system(toy_system())
    assert float(r.comm_latency_s) == pytest.approx(14e-6, rel=1e-12)


# --- invariants ----------------------------------------------------------------------------------

algorithms = st.sampled_from(list(Collective))
latency = st.floats(min_value=0.0, max_value=1e-5)
levels_st = st.lists(
    st.builds(BoundaryLevel, st.just("level"), st.floats(min_value=1.0, max_value=1e4), latency), max_size=4
)


@settings(max_examples=200, deadline=None)
@given(
    alg=algorithms, chips=st.floats(min_value=0.01, max_value=500.0), more=st.floats(min_value=0.0, max_value=500.0),
    hop=latency, msg=st.floats(min_value=0.0, max_value=1e6), bw=st.floats(min_value=1e6, max_value=1e13),
    cores=st.floats(min_value=0.0, max_value=1e6), mesh_hop=st.floats(min_value=0.0, max_value=1e-8),
    levels=levels_st,
)
def test_spreading_a_layer_over_more_cores_or_chips_never_cuts_its_stage_latency(
    alg: Collective, chips: float, more: float, hop: float, msg: float, bw: float, cores: float, mesh_hop: float,
    levels: list[BoundaryLevel],
) -> None:
    def t(n: float) -> float:
        return float(stage_latency_s(n, alg, hop, msg, bw, cores, mesh_hop, 0.0, levels))

    assert t(chips + more) >= t(chips) * (1 - 1e-12)


@settings(max_examples=200, deadline=None)
@given(
    alg=algorithms, chips=st.floats(min_value=0.01, max_value=500.0), hop=latency,
    msg=st.floats(min_value=0.0, max_value=1e6), bw=st.floats(min_value=1e6, max_value=1e13),
    levels=levels_st, extra=st.builds(BoundaryLevel, st.just("new"), st.floats(min_value=1.0, max_value=1e4), latency),
    n_chips=st.integers(min_value=1, max_value=100_000),
)
def test_adding_a_boundary_level_never_speeds_a_stage_or_a_path_up(
    alg: Collective, chips: float, hop: float, msg: float, bw: float, levels: list[BoundaryLevel],
    extra: BoundaryLevel, n_chips: int,
) -> None:
    more = [*levels, extra]
    assert float(stage_latency_s(chips, alg, hop, msg, bw, levels=more)) >= float(
        stage_latency_s(chips, alg, hop, msg, bw, levels=levels)
    ) * (1 - 1e-12)
    assert path_crossings_s(n_chips, more) >= path_crossings_s(n_chips, levels) * (1 - 1e-12)
    span = math.ceil(chips)
    assert float(step_latency_s(span, hop, more)) >= float(step_latency_s(span, hop, levels))


@settings(max_examples=30, deadline=None)
@given(
    alg=st.sampled_from([Collective.RING, Collective.TREE, Collective.ONE_SHOT]),
    sram=st.floats(min_value=5_000.0, max_value=200_000.0),
    level_chips=st.floats(min_value=1.0, max_value=8.0), level_latency=st.floats(min_value=0.0, max_value=1e-5),
)
def test_adding_a_boundary_level_never_speeds_a_token_up(
    alg: Collective, sram: float, level_chips: float, level_latency: float
) -> None:
    base = toy_system()
    system = dataclasses.replace(
        base, chip=dataclasses.replace(TOY_CHIP, sram_bytes=sram), link=dataclasses.replace(TOY_LINK, collective=alg)
    )
    with_level = dataclasses.replace(
        system, link=dataclasses.replace(system.link, server_chips=level_chips, server_latency_s=level_latency)
    )
    before = float(evaluate_system(system).tokens_per_s_per_user)
    after = float(evaluate_system(with_level).tokens_per_s_per_user)
    assert after <= before * (1 + 1e-12)


@settings(max_examples=30, deadline=None)
@given(
    alg=algorithms, sram=st.floats(min_value=2_000.0, max_value=400_000.0), shrink=st.floats(min_value=1.0, max_value=20.0),
    cores=st.floats(min_value=0.0, max_value=1e5), level_chips=st.floats(min_value=1.0, max_value=16.0),
)
def test_smaller_chips_spread_each_layer_wider_and_never_cut_communication(
    alg: Collective, sram: float, shrink: float, cores: float, level_chips: float
) -> None:
    # the same toy model on chips with less SRAM: every group covers more chip-equivalents
    base = toy_system()

    def comm(sram_bytes: float) -> float:
        chip = dataclasses.replace(TOY_CHIP, sram_bytes=sram_bytes, mesh_cores=cores, mesh_hop_latency_s=1e-9)
        link = dataclasses.replace(TOY_LINK, collective=alg, rack_chips=level_chips, rack_latency_s=2e-6)
        return float(evaluate_system(dataclasses.replace(base, chip=chip, link=link)).comm_latency_s)

    assert comm(sram / shrink) >= comm(sram) * (1 - 1e-12)


@pytest.mark.parametrize("micro_batch", [1, 3])
def test_simulated_steady_state_agrees_with_the_model_on_a_collective_system(micro_batch: int) -> None:
    """The serving simulator takes each group's communication as a fixed part per pass plus the
    collective's bandwidth term per token (perf/service.py); on a toy whose layer groups span 4
    chips with a slow ring (so the per-token part matters) its saturated steady state must
    match the analytic tokens/s, as for the default hop (tests/sim/test_sim_steady_state.py)."""
    from kvpipe.sim import ClosedLoop, Fixed, SimConfig, simulate

    base = toy_system(users=6, context=300, micro_batch=micro_batch)
    system = dataclasses.replace(
        base,
        chip=dataclasses.replace(TOY_CHIP, sram_bytes=20_000.0),
        link=dataclasses.replace(TOY_LINK, bw_bytes_per_s=1e8, collective=Collective.RING, card_chips=2.0,
                                 card_latency_s=0.5 * US),
        mapping=dataclasses.replace(base.mapping, usable_sram_fraction=1.0),
    )
    r = evaluate_system(system)
    cycle = float(system.workload.users / r.tokens_per_s)
    cfg = SimConfig(mode="reference", prefill=False, fixed_context_tokens=300, duration_s=400 * cycle,
                    warmup_s=20 * cycle, drain=False)
    m = simulate(system, ClosedLoop(clients=12, prompt=Fixed(300), output=Fixed(40)), cfg, seed=3).metrics
    assert m.tokens_per_s == pytest.approx(float(r.tokens_per_s), rel=0.02)


def test_the_seed_topology_example_slows_down_as_layers_spread_over_more_chips() -> None:
    """examples/seed-topology.yaml: Llama-3.1-70B on 1 GB chips (89 chips, ~1.07 per layer) vs on
    1 MB chips (~88,000 chips, ~1,100 per layer). The averaged hop of the seed charges 482 x 200 ns
    either way (and the smaller chips even compute a little faster); with the topology each layer's
    all-reduce grows from 1 tree step to ceil(log2 1,100) = 11 steps that leave cards, servers and
    racks, so one user's speed drops by more than 10x."""
    from pathlib import Path

    from kvpipe.config import load_system, seed_system

    path = Path(__file__).resolve().parents[2] / "examples" / "seed-topology.yaml"

    def speed(system: object, sram_bytes: float) -> float:
        s = dataclasses.replace(system, chip=dataclasses.replace(system.chip, sram_bytes=sram_bytes),  # type: ignore[type-var]
                                workload=dataclasses.replace(system.workload, users=1))  # type: ignore[attr-defined]
        return float(evaluate_system(s).tokens_per_s_per_user)

    topo = load_system(path)
    assert speed(topo, 1e6) < speed(topo, 1e9) / 10
    seed = seed_system()
    assert speed(seed, 1e6) >= speed(seed, 1e9)  # the averaged model cannot see the spread
