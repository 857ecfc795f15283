"""A whole system as a user describes it: model, precisions, parts, mapping and workload."""

from __future__ import annotations

from dataclasses import dataclass, field

from kvpipe.hardware.gpu import Gpu
from kvpipe.hardware.parts import Chip, Link, MemoryTech
from kvpipe.workload.model import Model
from kvpipe.workload.precision import Precisions


@dataclass(frozen=True)
class KVMemory:
    """The DRAM attached to each chip group for the KV cache of that group's layers."""

    tech: MemoryTech
    units_per_group: float  # dies or stacks of ``tech`` per chip group

    @property
    def capacity_bytes_per_group(self) -> float:
        return self.tech.capacity_bytes * self.units_per_group

    @property
    def bw_bytes_per_s_per_group(self) -> float:
        return self.tech.bw_bytes_per_s * self.units_per_group

    @property
    def background_w_per_group(self) -> float:
        return self.tech.background_w * self.units_per_group


@dataclass(frozen=True)
class MappingOptions:
    """How layers are placed onto chips and chips grouped into pipeline stages."""

    usable_sram_fraction: float = 0.8  # rest: attention cache, L2, activations
    layers_per_group: int = 1  # decoder layers per chip group (each group has its own KV DRAM)
    comm_stages_per_layer: int | None = None  # None: derived from the layer's structure
    max_chips: int | None = None  # placement fails beyond this
    # None: a group's chips follow its weights (M4). A context: groups whose compute per token
    # at that context would be slower than the most common group's get more chips (M5).
    balance_context_tokens: int | None = None


@dataclass(frozen=True)
class Workload:
    users: int = 1  # users (sequences) in flight
    context_tokens: int = 8192  # tokens each decoded token attends to
    micro_batch: int = 1  # tokens of different users a step processes together
    beyond_model_context: bool = False  # the user accepts contexts past the model's max_position_embeddings


@dataclass(frozen=True)
class System:
    name: str
    model: Model
    chip: Chip
    link: Link
    kv_memory: KVMemory
    precisions: Precisions = field(default_factory=Precisions)
    mapping: MappingOptions = field(default_factory=MappingOptions)
    workload: Workload = field(default_factory=Workload)


USABLE_HBM_FRACTION = 0.9  # of a GPU's HBM, for weights and KV; the rest: activations, workspace, fragmentation


@dataclass(frozen=True)
class Parallelism:
    """How a GPU server splits the model: ``tensor`` GPUs share each layer, ``pipeline``
    groups of them hold consecutive layers. GPUs = tensor x pipeline."""

    tensor: int = 1
    pipeline: int = 1
    usable_hbm_fraction: float = USABLE_HBM_FRACTION

    @property
    def gpus(self) -> int:
        return self.tensor * self.pipeline


@dataclass(frozen=True)
class GpuSystem:
    """A GPU + HBM server serving one model (docs/gpu.md). ``workload.users`` is the batch:
    sequences decoded together; ``workload.micro_batch`` is not used."""

    name: str
    model: Model
    gpu: Gpu
    link: Link
    precisions: Precisions = field(default_factory=Precisions)
    parallelism: Parallelism = field(default_factory=Parallelism)
    workload: Workload = field(default_factory=Workload)


@dataclass(frozen=True)
class AttentionSide:
    """The devices of a heterogeneous system that run decode attention and hold the KV cache
    (docs/afd.md). Data-parallel: every device holds all layers' attention weights and the KV
    of its own share of the users; it steps ``batch`` of them at a time."""

    gpu: Gpu
    devices: int
    kv_memory: str  # where the KV lives: the technology of the devices' own memory (a catalog memory name)
    batch: int = 1  # sequences one device processes per step
    usable_hbm_fraction: float = USABLE_HBM_FRACTION


@dataclass(frozen=True)
class FfnSide:
    """The SRAM chips that run the FFN / expert blocks (with the embedding and LM head) as a
    spatial pipeline: placed "x N until it fits" as in a spatial system, no KV."""

    chip: Chip
    link: Link  # chip-to-chip between the FFN chips
    mapping: MappingOptions = field(default_factory=MappingOptions)
    micro_batch: int | None = None  # tokens the FFN pipeline steps together; None: one attention micro-batch


@dataclass(frozen=True)
class HeteroSystem:
    """An attention-FFN disaggregated system (docs/afd.md): attention on ``attention`` devices,
    FFN on ``ffn`` chips, each layer's activations crossing ``a2e_link`` there (A2E) and back
    (E2A). ``workload.micro_batch`` is not used: the sides batch by ``attention.batch``."""

    name: str
    model: Model
    attention: AttentionSide
    ffn: FfnSide
    a2e_link: Link  # per attention device, both directions (as vendors quote it)
    precisions: Precisions = field(default_factory=Precisions)
    workload: Workload = field(default_factory=Workload)
