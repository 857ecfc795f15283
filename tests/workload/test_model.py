"""Whole-model figures against hand-worked arithmetic and published parameter counts.

Every golden number below is worked out in the comments from the config.json values; none
is copied from the code's output. Conventions (those of kvpipe.workload.model):

* SwiGLU MLP = gate + up + down = 3 x hidden x intermediate, no biases (except gpt-oss);
* one RMSNorm (hidden weights) before attention and one before the FFN, one final norm;
* ``param_count`` counts the embedding table and an untied LM head;
* ``active_param_count`` is what one token reads: it leaves out the embedding table (a
  lookup reads one row) but keeps the LM head. Publishers differ here: Mistral and Qwen
  quote "active" including the embedding table, gpt-oss excludes it; each test says which.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kvpipe.workload import (
    BlockKind,
    Precision,
    Precisions,
    active_param_count,
    build_model,
    comm_stages_per_token,
    flops_per_token,
    kv_bytes_per_token,
    kv_read_bytes_per_token,
    param_count,
    parse_arch,
    weight_bytes,
)

MODELS = Path(__file__).resolve().parents[2] / "src" / "kvpipe" / "catalog" / "data" / "models"
NAMES = sorted(p.stem for p in MODELS.glob("*.json"))

BF16 = Precisions(weights=Precision.BF16, kv=Precision.BF16)
FP8 = Precisions(weights=Precision.FP8, kv=Precision.FP8)
FP32 = Precisions(weights=Precision.FP32, kv=Precision.FP32)


def model(name: str):
    with open(MODELS / f"{name}.json", encoding="utf-8") as f:
        return build_model(parse_arch(json.load(f), name=name))


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# --- Llama-3.1-70B ----------------------------------------------------------------------

# h = 8192, 80 layers, 64 heads x 128, 8 kv heads, intermediate 28672, vocab 128256, untied
# embedding     = 128256 x 8192                         =  1,050,673,152
# LM head       = 128256 x 8192                         =  1,050,673,152
# attention/lyr = q 8192x8192 (67,108,864) + k,v 2 x 8192x1024 (16,777,216)
#                 + o 8192x8192 (67,108,864)            =    150,994,944
# MLP/lyr       = 3 x 8192 x 28672                      =    704,643,072
# norms/lyr     = 2 x 8192                              =         16,384
# per layer     = 150,994,944 + 704,643,072 + 16,384    =    855,654,400
# 80 layers     = 80 x 855,654,400                      = 68,452,352,000
# total         = 68,452,352,000 + 2 x 1,050,673,152 + 8,192 (final norm)
#               = 70,553,706,496   (published: 70.6B)
LLAMA70_PARAMS = 70_553_706_496


def test_llama70b_params():
    m = model("llama-3.1-70b")
    assert param_count(m) == LLAMA70_PARAMS
    assert rel(param_count(m), 70.6e9) < 0.005
    # active = total - embedding table = 70,553,706,496 - 1,050,673,152 = 69,503,033,344
    assert active_param_count(m) == 69_503_033_344
    # bf16 weights: 2 bytes each
    assert weight_bytes(m, BF16) == 2 * LLAMA70_PARAMS


def test_llama70b_kv_bytes():
    m = model("llama-3.1-70b")
    # K and V: 2 x 8 kv heads x 128 x 80 layers x 2 bytes = 327,680 bytes per token
    assert kv_bytes_per_token(m, BF16) == 327_680
    assert kv_bytes_per_token(m, FP8) == 163_840
    # full attention everywhere: a token at context 8192 reads 8192 x 327,680 = 2,684,354,560 B
    assert kv_read_bytes_per_token(m, BF16, 8192) == 2_684_354_560


# --- Llama-2-7B (multi-head attention: as many kv heads as query heads) ---------------------

# h = 4096, 32 layers, 32 heads x 128, 32 kv heads, intermediate 11008, vocab 32000, untied
# embedding     = 32000 x 4096                          =    131,072,000
# LM head       = 32000 x 4096                          =    131,072,000
# attention/lyr = q, k, v, o: 4 x 4096 x 4096           =     67,108,864
# MLP/lyr       = 3 x 4096 x 11008                      =    135,266,304
# norms/lyr     = 2 x 4096                              =          8,192
# per layer     = 67,108,864 + 135,266,304 + 8,192      =    202,383,360
# 32 layers     = 32 x 202,383,360                      =  6,476,267,520
# total         = 6,476,267,520 + 2 x 131,072,000 + 4,096 (final norm)
#               = 6,738,415,616   (published: 6.74B)


def test_llama2_7b_params_and_kv_bytes():
    m = model("llama-2-7b")
    assert param_count(m) == 6_738_415_616
    # K and V: 2 x 32 kv heads x 128 x 32 layers x 2 bytes = 524,288 bytes per token (fp16 = bf16 size)
    assert kv_bytes_per_token(m, BF16) == 524_288
    # stages: 1 + 32 x (3 + 3) + 1 = 194, as for Llama-3.1-8B's 32 layers
    assert comm_stages_per_token(m) == 194


def test_llama70b_comm_stages():
    m = model("llama-3.1-70b")
    # stages as model.py defines them: embedding 1; per layer attention 3 (x in, qkv, attn out)
    # + MLP 3 (x in, gate/up out, down out); LM head 1 -> 1 + 80 x (3 + 3) + 1 = 482
    # ("on the order of 500 stages for 80 layers", docs/design.md section 1)
    assert comm_stages_per_token(m) == 482


def test_llama70b_flops():
    m = model("llama-3.1-70b")
    # context 0: 2 FLOPs per projection weight, per layer 2 x (150,994,944 + 704,643,072)
    # = 1,711,276,032; x 80 = 136,902,082,560; + LM head 2 x 1,050,673,152 = 2,101,346,304
    # -> 139,003,428,864. That is 2 x active params less the norms (80 x 16,384 + 8,192 = 1,318,912).
    f0 = flops_per_token(m, 0)
    assert f0 == 139_003_428_864
    assert f0 == 2 * (active_param_count(m) - 1_318_912)
    assert rel(f0, 2 * active_param_count(m)) < 1e-4
    # attention per context token: scores 2 x 64 x 128 + weighted sum 2 x 64 x 128 = 32,768,
    # x 80 layers = 2,621,440 FLOPs per token of context
    assert flops_per_token(m, 8192) - f0 == 2_621_440 * 8192


# --- other dense models -----------------------------------------------------------------


def test_llama8b_params():
    # h 4096, 32 layers, 32 heads x 128, 8 kv, intermediate 14336, vocab 128256
    # embedding = LM head = 128256 x 4096 = 525,336,576
    # attention = 2 x 4096^2 (33,554,432) + 2 x 4096 x 1024 (8,388,608) = 41,943,040
    # MLP = 3 x 4096 x 14336 = 176,160,768; norms 8,192 -> per layer 218,112,000
    # total = 32 x 218,112,000 + 2 x 525,336,576 + 4,096 = 8,030,261,248  (published 8.03B)
    p = param_count(model("llama-3.1-8b"))
    assert p == 8_030_261_248
    assert rel(p, 8.03e9) < 0.005


def test_llama405b_params():
    # h 16384, 126 layers, 128 heads x 128, 8 kv, intermediate 53248, vocab 128256
    # embedding = LM head = 128256 x 16384 = 2,101,346,304
    # attention = 2 x 16384^2 (536,870,912) + 2 x 16384 x 1024 (33,554,432) = 570,425,344
    # MLP = 3 x 16384 x 53248 = 2,617,245,696; norms 32,768 -> per layer 3,187,703,808
    # total = 126 x 3,187,703,808 + 2 x 2,101,346,304 + 16,384 = 405,853,388,800  (405.9B)
    p = param_count(model("llama-3.1-405b"))
    assert p == 405_853_388_800
    assert rel(p, 405.9e9) < 0.005


def test_qwen3_32b_params():
    # h 5120, 64 layers, 64 heads x 128 (q width 8192), 8 kv (1024), intermediate 25600
    # embedding = LM head = 151936 x 5120 = 777,912,320
    # attention = 2 x 5120 x 8192 (83,886,080) + 2 x 5120 x 1024 (10,485,760) = 94,371,840
    #             + q_norm, k_norm 2 x 128 = 256
    # MLP = 3 x 5120 x 25600 = 393,216,000; norms 10,240 -> per layer 487,598,336
    # total = 64 x 487,598,336 + 2 x 777,912,320 + 5,120 = 32,762,123,264  (published 32.8B)
    p = param_count(model("qwen3-32b"))
    assert p == 32_762_123_264
    assert rel(p, 32.8e9) < 0.005


def test_mistral_7b_params_and_window():
    # h 4096, 32 layers, same block as Llama-3.1-8B (218,112,000 per layer), vocab 32000
    # total = 32 x 218,112,000 + 2 x 32000 x 4096 (262,144,000) + 4,096 = 7,241,732,096 (7.24B)
    m = model("mistral-7b-v0.1")
    assert param_count(m) == 7_241_732_096
    assert rel(param_count(m), 7.24e9) < 0.005
    # every layer slides over 4096 tokens; KV per token = 2 x 8 x 128 x 32 x 2 B = 131,072 B
    kv = kv_bytes_per_token(m, BF16)
    assert kv == 131_072
    assert kv_read_bytes_per_token(m, BF16, 1000) == 1000 * 131_072
    assert kv_read_bytes_per_token(m, BF16, 4096) == 4096 * 131_072
    assert kv_read_bytes_per_token(m, BF16, 32768) == 4096 * 131_072
    # attention FLOPs also stop growing past the window
    assert flops_per_token(m, 32768) == flops_per_token(m, 4096)


# --- DeepSeek-V3 ------------------------------------------------------------------------

# h 7168, 61 layers, 128 heads, q_lora 1536, kv_lora 512, nope 128, rope 64, v 128
# MLA attention per layer:
#   q_a  7168 x 1536                  =  11,010,048   + q_a_layernorm   1,536
#   q_b  1536 x 128 x (128 + 64)      =  37,748,736
#   kv_a 7168 x (512 + 64)            =   4,128,768   + kv_a_layernorm    512
#   kv_b 512 x 128 x (128 + 128)      =  16,777,216
#   o    128 x 128 x 7168             = 117,440,512   + input norm      7,168
#   sum                               = 187,114,496
# dense MLP (layers 0-2): 3 x 7168 x 18432 = 396,361,728 + norm 7,168 = 396,368,896
# MoE (layers 3-60): one expert 3 x 7168 x 2048 = 44,040,192
#   256 routed = 11,274,289,152; 1 shared = 44,040,192; router 7168 x 256 = 1,835,008; norm 7,168
#   sum = 11,320,171,520
# embedding = LM head = 129280 x 7168 = 926,679,040
# total = 61 x 187,114,496 (11,413,984,256) + 3 x 396,368,896 (1,189,106,688)
#       + 58 x 11,320,171,520 (656,569,948,160) + 2 x 926,679,040 + 7,168
#       = 671,026,404,352   (published: 671B main model; 685B on HF includes the 14B MTP module)
DSV3_PARAMS = 671_026_404_352


def test_deepseek_v3_params():
    m = model("deepseek-v3")
    assert param_count(m) == DSV3_PARAMS
    assert rel(param_count(m), 671e9) < 0.01


def test_deepseek_v3_active_params():
    # counted: all 61 MLA blocks (11,413,984,256), the 3 dense MLPs (1,189,106,688), per MoE
    # layer router + shared expert + 8 routed experts + norm
    #   = 1,835,008 + 9 x 44,040,192 + 7,168 = 398,203,904, x 58 = 23,095,826,432,
    # the LM head 926,679,040 and the final norm 7,168; not counted: the embedding table
    # (a lookup) and the MTP module (not modelled).
    # = 36,625,603,584, vs the published "37B activated" (-1.0 %; with the embedding
    # table it would be 37.55B, +1.5 %: the published figure sits between the two).
    m = model("deepseek-v3")
    assert active_param_count(m) == 36_625_603_584
    assert rel(active_param_count(m), 37e9) < 0.03


def test_deepseek_v3_mla_kv():
    m = model("deepseek-v3")
    # the cache holds the latent (512) + the shared rope key (64) = 576 elements per layer
    # bf16: 576 x 61 x 2 = 70,272 B per token; fp8: 576 x 61 x 1 = 35,136 B
    assert kv_bytes_per_token(m, BF16) == 70_272
    assert kv_bytes_per_token(m, FP8) == 35_136
    assert kv_read_bytes_per_token(m, BF16, 4096) == 4096 * 70_272


def test_deepseek_v3_layer_kinds():
    m = model("deepseek-v3")
    ffn = [b for b in m.blocks if b.kind in (BlockKind.MLP, BlockKind.MOE)]
    assert [b.kind for b in ffn] == [BlockKind.MLP] * 3 + [BlockKind.MOE] * 58
    assert [b.layer for b in ffn] == list(range(61))
    moe = ffn[3]
    assert (moe.n_experts, moe.top_k, moe.expert_params) == (256, 8, 44_040_192)


# --- gpt-oss ----------------------------------------------------------------------------

# h 2880, 64 heads x 64 (q width 4096), 8 kv x 64 (512), expert width 2880, vocab 201088
# attention per layer: q 2880 x 4096 (11,796,480) + k,v 2 x 2880 x 512 (2,949,120)
#   + o 4096 x 2880 (11,796,480) = 26,542,080; biases q 4096 + k,v 1024 + o 2880 = 8,000;
#   sinks 64; norm 2,880 -> 26,553,024
# expert: gate_up 2880 x 5760 (16,588,800) + down 2880 x 2880 (8,294,400) = 24,883,200,
#   biases 5760 + 2880 = 8,640 -> 24,891,840
# embedding = unembedding = 201088 x 2880 = 579,133,440


def test_gpt_oss_120b_params():
    # router 2880 x 128 + 128 = 368,768; 128 experts = 3,186,155,520; ffn norm 2,880
    # per layer = 26,553,024 + 3,186,155,520 + 368,768 + 2,880 = 3,213,080,192
    # total = 36 x 3,213,080,192 (115,670,886,912) + 2 x 579,133,440 + 2,880
    #       = 116,829,156,672  (model card: 116.83B)
    m = model("gpt-oss-120b")
    assert param_count(m) == 116_829_156_672
    assert rel(param_count(m), 116.8e9) < 0.01
    # active (model card: 5.13B, counting the unembedding but not the embedding, as here):
    # per layer 26,553,024 + 4 x 24,891,840 + 368,768 + 2,880 = 126,492,032
    # 36 x 126,492,032 + 579,133,440 + 2,880 = 5,132,849,472
    assert active_param_count(m) == 5_132_849_472
    assert rel(active_param_count(m), 5.13e9) < 0.01


def test_gpt_oss_20b_params():
    # router 2880 x 32 + 32 = 92,192; 32 experts = 796,538,880
    # per layer = 26,553,024 + 796,538,880 + 92,192 + 2,880 = 823,186,976
    # total = 24 x 823,186,976 + 2 x 579,133,440 + 2,880 = 20,914,757,184  (model card 20.91B)
    # active = 24 x (26,553,024 + 4 x 24,891,840 + 92,192 + 2,880) + 579,133,440 + 2,880
    #        = 24 x 126,215,456 + 579,136,320 = 3,608,307,264  (model card 3.61B)
    m = model("gpt-oss-20b")
    assert param_count(m) == 20_914_757_184
    assert active_param_count(m) == 3_608_307_264
    assert rel(param_count(m), 20.91e9) < 0.01
    assert rel(active_param_count(m), 3.61e9) < 0.01


def test_gpt_oss_120b_kv_read():
    m = model("gpt-oss-120b")
    # KV elements per token and layer = 2 x 8 kv heads x 64 = 1,024; 36 layers
    # written per token in bf16: 1,024 x 36 x 2 = 73,728 B
    assert kv_bytes_per_token(m, BF16) == 73_728
    # at context 8192: 18 full layers read 8192 tokens, 18 sliding layers read 128
    # = 1,024 x (18 x 8192 + 18 x 128) = 1,024 x 149,760 = 153,354,240 elements
    # x 2 B = 306,708,480 B
    assert kv_read_bytes_per_token(m, BF16, 8192) == 306_708_480
    # below the window every layer reads the whole context: 1,024 x 36 x 100 x 2 = 7,372,800
    assert kv_read_bytes_per_token(m, BF16, 100) == 7_372_800


# --- other MoE models -------------------------------------------------------------------


def test_mixtral_params():
    # h 4096, 32 layers, 8 experts of 3 x 4096 x 14336 = 176,160,768, top-2, vocab 32000
    # attention 41,943,040 + norm 4,096; experts 8 x 176,160,768 = 1,409,286,144;
    # router 4096 x 8 = 32,768; ffn norm 4,096 -> per layer 1,451,270,144
    # total = 32 x 1,451,270,144 + 2 x 131,072,000 + 4,096 = 46,702,792,704  (published 46.7B)
    m = model("mixtral-8x7b")
    assert param_count(m) == 46_702_792_704
    assert rel(param_count(m), 46.7e9) < 0.005
    # active per layer 41,947,136 + 2 x 176,160,768 + 32,768 + 4,096 = 394,305,536
    # 32 x 394,305,536 + LM head 131,072,000 + 4,096 = 12,748,853,248
    assert active_param_count(m) == 12_748_853_248
    # Mistral's "12.9B active" includes the embedding table: + 131,072,000 = 12,879,925,248
    assert rel(active_param_count(m) + 131_072_000, 12.9e9) < 0.005


def test_qwen3_30b_a3b_params():
    # h 2048, 48 layers, 32 heads x 128 (4096), 4 kv (512), 128 experts of width 768, top-8
    # attention 2 x 2048 x 4096 + 2 x 2048 x 512 = 18,874,368 + qk-norm 256 + norm 2,048
    # expert 3 x 2048 x 768 = 4,718,592; 128 of them = 603,979,776; router 2048 x 128 = 262,144
    # per layer = 18,876,672 + 603,979,776 + 262,144 + 2,048 = 623,120,640
    # embedding = LM head = 151936 x 2048 = 311,164,928
    # total = 48 x 623,120,640 + 2 x 311,164,928 + 2,048 = 30,532,122,624  (published 30.5B)
    m = model("qwen3-30b-a3b")
    assert param_count(m) == 30_532_122_624
    assert rel(param_count(m), 30.5e9) < 0.005
    # active per layer 18,876,672 + 8 x 4,718,592 + 262,144 + 2,048 = 56,889,600
    # 48 x 56,889,600 + 311,164,928 + 2,048 = 3,041,867,776; Qwen's "3.3B activated" counts
    # the embedding table too: 3,041,867,776 + 311,164,928 = 3,353,032,704 (+1.6 %)
    assert active_param_count(m) == 3_041_867_776
    assert rel(active_param_count(m) + 311_164_928, 3.3e9) < 0.03


def test_qwen3_235b_a22b_params():
    # h 4096, 94 layers, 64 heads x 128 (8192), 4 kv (512), 128 experts of width 1536, top-8
    # attention 2 x 4096 x 8192 + 2 x 4096 x 512 = 71,303,168 + qk-norm 256 + norm 4,096
    # expert 3 x 4096 x 1536 = 18,874,368; x 128 = 2,415,919,104; router 4096 x 128 = 524,288
    # per layer = 71,307,520 + 2,415,919,104 + 524,288 + 4,096 = 2,487,755,008
    # embedding = LM head = 151936 x 4096 = 622,329,856
    # total = 94 x 2,487,755,008 + 2 x 622,329,856 + 4,096 = 235,093,634,560  (published 235B)
    m = model("qwen3-235b-a22b")
    assert param_count(m) == 235_093_634_560
    assert rel(param_count(m), 235e9) < 0.005
    # active per layer 71,307,520 + 8 x 18,874,368 + 524,288 + 4,096 = 222,830,848
    # 94 x 222,830,848 + 622,329,856 + 4,096 = 21,568,433,664; with the embedding table
    # 22,190,763,520 vs the published 22B (+0.9 %)
    assert active_param_count(m) == 21_568_433_664
    assert rel(active_param_count(m) + 622_329_856, 22e9) < 0.03


def test_moe_flops_follow_active_params():
    # FLOPs at context 0 are 2 per active weight, less norms, biases, sinks and q/k norms;
    # those are < 0.1 % of the active weights in every shipped MoE model
    for name in ("mixtral-8x7b", "qwen3-30b-a3b", "qwen3-235b-a22b", "deepseek-v3", "gpt-oss-120b"):
        m = model(name)
        f0 = flops_per_token(m, 0)
        assert f0 <= 2 * active_param_count(m)
        assert rel(f0, 2 * active_param_count(m)) < 1e-3, name


# --- invariants over every shipped model ------------------------------------------------

CONTEXTS = [0, 1, 2, 64, 127, 128, 129, 1000, 4095, 4096, 4097, 8192, 32768, 131072]


@pytest.mark.parametrize("name", NAMES)
def test_kv_read_non_decreasing(name):
    m = model(name)
    reads = [kv_read_bytes_per_token(m, BF16, c) for c in CONTEXTS]
    assert reads[0] == 0
    assert all(a <= b for a, b in zip(reads, reads[1:]))
    flops = [flops_per_token(m, c) for c in CONTEXTS]
    assert all(a <= b for a, b in zip(flops, flops[1:]))


@pytest.mark.parametrize("name", NAMES)
def test_full_attention_reads_whole_context(name):
    m = model(name)
    if any(w is not None for w in m.arch.windows):
        # windowed models read at most the full-attention amount
        for c in CONTEXTS:
            assert kv_read_bytes_per_token(m, BF16, c) <= kv_bytes_per_token(m, BF16) * c
        return
    for c in CONTEXTS:
        assert kv_read_bytes_per_token(m, BF16, c) == kv_bytes_per_token(m, BF16) * c


@pytest.mark.parametrize("name", NAMES)
def test_precision_halving_halves_kv(name):
    m = model(name)
    assert kv_bytes_per_token(m, FP8) * 2 == kv_bytes_per_token(m, BF16)
    assert kv_bytes_per_token(m, BF16) * 2 == kv_bytes_per_token(m, FP32)
    for c in (1, 128, 8192):
        assert kv_read_bytes_per_token(m, FP8, c) * 2 == kv_read_bytes_per_token(m, BF16, c)
    assert weight_bytes(m, FP8) * 2 == weight_bytes(m, BF16)
    # FLOPs do not depend on precision (no precision argument), and KV grows with layers only
    assert kv_bytes_per_token(m, BF16) > 0


@pytest.mark.parametrize("name", NAMES)
def test_block_bookkeeping(name):
    m = model(name)
    kinds = [b.kind for b in m.blocks]
    assert kinds[0] is BlockKind.EMBEDDING and kinds[-1] is BlockKind.LM_HEAD
    assert len(m.blocks) == 2 * m.n_layers + 2
    assert sum(b.total_params for b in m.blocks) == param_count(m)
    assert active_param_count(m) <= param_count(m)
    assert (active_param_count(m) < param_count(m) - m.blocks[0].total_params) == m.is_moe
