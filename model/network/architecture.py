"""Architecture specs: which sam2 hydra config and which overrides build a network.

An :class:`ArchSpec` is stored inside every checkpoint our trainer writes, so a checkpoint always
rebuilds the network it was trained with (and a mismatching one is refused on load).
"""

from __future__ import annotations

from dataclasses import dataclass

from model.errors import InvalidInputError

# Post-processing the official video predictor builder applies (sam2/build_sam.py); ours matches it
# so that the same checkpoint gives the same masks through both.
PREDICTOR_OVERRIDES: tuple[str, ...] = (
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability=true",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta=0.05",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_thresh=0.98",
    "++model.binarize_mask_from_pts_for_mem_enc=true",
)

OFFICIAL_CONFIGS: dict[str, str] = {
    "tiny": "configs/sam2.1/sam2.1_hiera_t.yaml",
    "small": "configs/sam2.1/sam2.1_hiera_s.yaml",
    "base+": "configs/sam2.1/sam2.1_hiera_b+.yaml",
    "large": "configs/sam2.1/sam2.1_hiera_l.yaml",
}

# tiny-cpu: 256 px input, ~2.3 M parameters (see DESIGN.md "Model").
_TRUNK = "model.image_encoder.trunk"
_MA = "model.memory_attention"
_ME = "model.memory_encoder"
TINY_CPU_OVERRIDES: tuple[str, ...] = (
    "model.image_size=256",
    f"{_TRUNK}.embed_dim=32",
    f"{_TRUNK}.num_heads=1",
    f"{_TRUNK}.stages=[1,1,2,1]",
    f"++{_TRUNK}.window_spec=[8,4,8,4]",
    f"{_TRUNK}.global_att_blocks=[3]",
    f"{_TRUNK}.window_pos_embed_bkg_spatial_size=[4,4]",
    "model.image_encoder.neck.d_model=64",
    "model.image_encoder.neck.position_encoding.num_pos_feats=64",
    "model.image_encoder.neck.backbone_channel_list=[256,128,64,32]",
    f"{_MA}.d_model=64",
    f"{_MA}.num_layers=1",
    f"{_MA}.layer.d_model=64",
    f"{_MA}.layer.dim_feedforward=256",
    f"{_MA}.layer.self_attention.embedding_dim=64",
    f"{_MA}.layer.self_attention.feat_sizes=[16,16]",
    f"{_MA}.layer.cross_attention.embedding_dim=64",
    f"{_MA}.layer.cross_attention.feat_sizes=[16,16]",
    f"{_MA}.layer.cross_attention.kv_in_dim=32",
    f"{_ME}.out_dim=32",
    f"++{_ME}.in_dim=64",
    f"{_ME}.position_encoding.num_pos_feats=32",
    f"++{_ME}.mask_downsampler.embed_dim=64",
    f"{_ME}.fuser.layer.dim=64",
)


@dataclass(frozen=True)
class ArchSpec:
    """A buildable architecture.

    name: short name ("tiny-cpu", "sam2.1-tiny", ...); config: hydra config name inside the sam2
    package; overrides: hydra overrides applied on top (the predictor post-processing is added at
    build time and is not part of the spec).
    """

    name: str
    config: str
    overrides: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "config": self.config, "overrides": list(self.overrides)}

    @classmethod
    def from_dict(cls, data: object) -> ArchSpec:
        if not isinstance(data, dict) or not {"name", "config", "overrides"} <= set(data):
            raise InvalidInputError(
                "checkpoint has no valid architecture record; it was not written by maskloop's "
                "trainer -- load an official file with --model sam2:<tiny|small|base+|large>:PATH"
            )
        return cls(name=str(data["name"]), config=str(data["config"]),
                   overrides=tuple(str(o) for o in data["overrides"]))


def tiny_cpu() -> ArchSpec:
    """The CPU-sized architecture the shipped default weights use."""
    return ArchSpec(name="tiny-cpu", config=OFFICIAL_CONFIGS["tiny"], overrides=TINY_CPU_OVERRIDES)


LITE_CONFIG = "maskloop-lite"


def lite0() -> ArchSpec:
    """The CPU default: EfficientNet-Lite0 encoder (ImageNet, frozen) + SAM 2 prompt encoder and
    mask decoder + affinity memory (model/network/lite/lite_sam.py)."""
    from model.network.lite.lite_sam import LiteConfig

    return ArchSpec(name="lite0", config=LITE_CONFIG, overrides=LiteConfig().to_overrides())


def official(size: str) -> ArchSpec:
    """An official SAM 2.1 architecture: size is tiny, small, base+ or large."""
    if size not in OFFICIAL_CONFIGS:
        raise InvalidInputError(
            f"unknown SAM 2.1 size {size!r}; use one of {', '.join(OFFICIAL_CONFIGS)}"
        )
    return ArchSpec(name=f"sam2.1-{size}", config=OFFICIAL_CONFIGS[size])
