import pytest
from toy import BF16, TOY_CHIP, toy_system

from kvpipe.mapping import MappingError, place
from kvpipe.system import MappingOptions


def _toy_placement(**opts):
    s = toy_system()
    return place(s.model, BF16, TOY_CHIP, MappingOptions(usable_sram_fraction=1.0, **opts))


def test_chips_until_the_model_fits():
    # 173,696 weight bytes on 100,000-byte chips -> ceil(1.73696) = 2 chips
    p = _toy_placement()
    assert p.chips == 2
    assert p.total_weight_bytes == pytest.approx(173_696)


def test_groups_are_stages_and_identical_layers_merge():
    # embedding | layer 0 | layer 1 | lm head -> 4 stages, 3 classes (the two layers merge)
    p = _toy_placement()
    assert p.stages == 4
    assert sorted(c.count for c in p.classes) == [1, 1, 2]
    assert p.kv_groups == 2
    layer = next(c for c in p.classes if c.count == 2)
    # attention 12,352 + mlp 24,640 params x 2 bytes = 73,984 bytes = 0.73984 chip-equivalents
    assert layer.weight_bytes == pytest.approx(73_984)
    assert layer.chips == pytest.approx(0.73984)
    # KV: 2 x 2 heads x 16 x 2 bytes = 128 bytes per token per layer
    assert layer.kv_write_bytes == 128
    assert layer.kv_coef_bytes == (128,)


def test_comm_stages_derived_and_overridden():
    # embedding 1 + per layer (attention 3 + mlp 3) x 2 + head 1 = 14
    assert _toy_placement().comm_stages_per_token == 14
    # override 10 per layer: 1 + 10 x 2 + 1 = 22
    assert _toy_placement(comm_stages_per_layer=10).comm_stages_per_token == 22


def test_two_layers_per_group():
    p = _toy_placement(layers_per_group=2)
    assert p.stages == 3
    assert p.kv_groups == 1
    (both,) = [c for c in p.classes if c.has_kv]
    assert both.kv_write_bytes == 256


def test_model_that_cannot_fit_names_the_field():
    with pytest.raises(MappingError) as e:
        _toy_placement(max_chips=1)
    assert e.value.field == "mapping.max_chips"
    assert "needs 2 chips" in str(e.value)


def test_bad_usable_fraction():
    with pytest.raises(MappingError) as e:
        place(
            toy_system().model, BF16, TOY_CHIP, MappingOptions(usable_sram_fraction=0.0)
        )
    assert e.value.field == "mapping.usable_sram_fraction"
