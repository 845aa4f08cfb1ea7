"""The CPU default network: SAM 2's prompt encoder and mask decoder on a pretrained
EfficientNet-Lite0 image encoder, tracking through an affinity memory over frozen features.

Frames are resized to ``input_size(H, W)``: the long side to ``long_side`` pixels (small videos
enlarged at most ``MAX_UPSCALE`` times), both sides rounded to multiples of 32 (the aspect ratio is kept to within a few percent). Per frame
(:meth:`encode`): the frozen encoder's pyramid -> the neck's image embedding (stride 16) and
high-res maps (stride 4, 8) plus the readout keys (frozen, stride 16). The memory's readout of an
object on a frame is given to the decoder as its dense (mask) prompt; clicks and boxes as sparse
prompts, exactly SAM 2's prompt paths, and also drawn as maps into the dense prompt
(:mod:`model.network.lite.click_maps`: the tokens alone did not learn to localise).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from sam2.modeling.sam.mask_decoder import MaskDecoder
from sam2.modeling.sam.prompt_encoder import PromptEncoder
from sam2.modeling.sam.transformer import TwoWayTransformer
from torch import nn

from model.network.lite.affinity_readout import fine_keys, readout_keys
from model.network.lite.click_maps import ClickEncoder
from model.network.lite.efficientnet_lite import EfficientNetLite, Pyramid
from model.network.lite.lite_neck import LiteNeck

READOUT_LOGIT_CLAMP = 6.0
MAX_UPSCALE = 4.0  # small videos are enlarged at most this much (no detail to gain beyond it)


@dataclass(frozen=True)
class LiteConfig:
    """Architecture of :class:`LiteSam` (stored in checkpoints as ``key=value`` overrides).

    long_side: model input long side in pixels; dim: decoder width; decoder_depth / heads /
    mlp_dim: the two-way transformer; top_k / temperature / radius / recent: the affinity
    memory (radius in stride-16 cells, recent = non-conditioning frames kept); click_maps: 1 adds
    clicks and boxes drawn as maps to the dense prompt (:mod:`model.network.lite.click_maps`);
    readout_stride: 16, or 8 to refine the readout at stride 8 along the objects' outlines;
    readout_mix: a tracked frame's mask probability is ``(1 - mix) * decoder + mix * readout``
    (0: the decoder alone). The last two have no parameters: inference reads them, training does not.
    Shipped: stride 16 with mix 0.5 (DAVIS-2016 val, full sequences: J&F 0.725 against 0.712 for
    the decoder alone and 0.707 with stride 8; see the model card).
    """

    long_side: int = 864
    dim: int = 64
    decoder_depth: int = 2
    heads: int = 4
    mlp_dim: int = 256
    top_k: int = 10
    temperature: float = 0.05
    radius: float = 7.0
    recent: int = 7
    click_maps: int = 1
    readout_stride: int = 16
    readout_mix: float = 0.5

    def __post_init__(self) -> None:
        from model.errors import InvalidInputError

        if self.readout_stride not in (8, 16):
            raise InvalidInputError(f"readout_stride must be 8 or 16, not {self.readout_stride}")
        if not 0.0 <= self.readout_mix <= 1.0:
            raise InvalidInputError(f"readout_mix must lie in [0, 1], not {self.readout_mix}")

    def to_overrides(self) -> tuple[str, ...]:
        return tuple(f"{k}={getattr(self, k)}" for k in self.__dataclass_fields__)

    @classmethod
    def from_overrides(cls, overrides: tuple[str, ...]) -> LiteConfig:
        from model.errors import InvalidInputError

        values: dict[str, object] = {}
        for item in overrides:
            key, _, raw = item.partition("=")
            field = cls.__dataclass_fields__.get(key)
            if field is None:
                raise InvalidInputError(f"unknown lite architecture field {key!r} in {item!r}")
            values[key] = (float if field.type in ("float", float) else int)(raw)
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FrameFeatures:
    """Encoded frame(s): embedding [B,dim,h,w] (stride 16), high_res [p4 [B,dim/8,4h,4w],
    p8 [B,dim/4,2h,2w]] (after the decoder's projections), keys [B,C,h,w] (frozen, unit norm),
    fine_keys [B,C,2h,2w] (stride 8; only with ``readout_stride=8``)."""

    embedding: torch.Tensor
    high_res: tuple[torch.Tensor, torch.Tensor]
    keys: torch.Tensor
    fine_keys: torch.Tensor | None = None

    def select(self, i: int, n: int) -> FrameFeatures:
        """Frame ``i`` of the batch repeated for ``n`` objects (views, no copies)."""
        def rep(t: torch.Tensor) -> torch.Tensor:
            return t[i:i + 1].expand(n, *t.shape[1:])
        fine = None if self.fine_keys is None else self.fine_keys[i:i + 1]
        return FrameFeatures(rep(self.embedding), (rep(self.high_res[0]), rep(self.high_res[1])),
                             self.keys[i:i + 1], fine)


class LiteSam(nn.Module):
    """See module docstring. ``encoder`` is frozen (its BatchNorm statistics too)."""

    def __init__(self, cfg: LiteConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.dim
        self.encoder = EfficientNetLite()
        self.neck = LiteNeck(dim=d)
        # image sizes vary per video: decode() passes them explicitly (these two are unused)
        self.prompt_encoder = PromptEncoder(embed_dim=d, image_embedding_size=(30, 54),
                                            input_image_size=(480, 864), mask_in_chans=16)
        self.mask_decoder = MaskDecoder(
            transformer_dim=d,
            transformer=TwoWayTransformer(depth=cfg.decoder_depth, embedding_dim=d,
                                          mlp_dim=cfg.mlp_dim, num_heads=cfg.heads),
            num_multimask_outputs=3, iou_head_depth=3, iou_head_hidden_dim=d,
            use_high_res_features=True, iou_prediction_use_sigmoid=True, pred_obj_scores=True,
            pred_obj_scores_mlp=True, use_multimask_token_for_obj_ptr=True,
        )
        self.click_encoder = ClickEncoder(dim=d) if cfg.click_maps else None
        for p in self.encoder.parameters():
            p.requires_grad_(False)

    # The encoder's weights come from the installed package: checkpoints hold everything else.
    def state_dict(self, *args, **kwargs):  # type: ignore[override]
        state = super().state_dict(*args, **kwargs)
        prefix = kwargs.get("prefix", "") + "encoder."
        for key in [k for k in state if k.startswith(prefix)]:
            del state[key]
        return state

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):  # type: ignore[override]
        full = dict(state_dict)
        for key, value in self.encoder.state_dict().items():
            full.setdefault("encoder." + key, value)
        return super().load_state_dict(full, strict=strict, assign=assign)

    def train(self, mode: bool = True) -> LiteSam:
        super().train(mode)
        self.encoder.eval()  # frozen: BatchNorm keeps ImageNet statistics
        return self

    # ----------------------------------------------------------------- geometry
    def input_size(self, height: int, width: int) -> tuple[int, int]:
        """Model input (H_in, W_in) for video frames of ``height`` x ``width``."""
        scale = min(self.cfg.long_side / max(height, width), MAX_UPSCALE)
        return (max(32, round(height * scale / 32) * 32), max(32, round(width * scale / 32) * 32))

    def preprocess(self, frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """uint8 [B, H, W, 3] -> normalised float [B, 3, H_in, W_in] (bilinear, antialiased)."""
        x = frames.permute(0, 3, 1, 2).float()
        if tuple(x.shape[-2:]) != tuple(size):
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
        return EfficientNetLite.normalize(x)

    # ----------------------------------------------------------------- features
    def pyramid(self, images: torch.Tensor) -> Pyramid:
        """Normalised images [B, 3, H_in, W_in] -> the frozen encoder's pyramid."""
        with torch.no_grad():
            return self.encoder.pyramid(images)

    def features(self, pyramid: Pyramid) -> FrameFeatures:
        """Pyramid -> :class:`FrameFeatures` (the neck and the decoder's high-res projections)."""
        embedding, (p4, p8) = self.neck(pyramid)
        high = (self.mask_decoder.conv_s0(p4), self.mask_decoder.conv_s1(p8))
        fine = fine_keys(pyramid.s8, pyramid.s16) if self.cfg.readout_stride == 8 else None
        return FrameFeatures(embedding, high, readout_keys(pyramid.s8, pyramid.s16), fine)

    def encode(self, images: torch.Tensor) -> FrameFeatures:
        """Normalised images [B, 3, H_in, W_in] -> :class:`FrameFeatures`."""
        return self.features(self.pyramid(images))

    # ----------------------------------------------------------------- decoding
    def dense_pe(self, h: int, w: int) -> torch.Tensor:
        """Positional encoding of an h x w embedding grid: [1, dim, h, w]."""
        return self.prompt_encoder.pe_layer((h, w)).unsqueeze(0)

    def decode(self, feats: FrameFeatures, *, points: torch.Tensor | None = None,
               labels: torch.Tensor | None = None, mask_logits: torch.Tensor | None = None,
               multimask: bool | None = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Decode one mask (or three with ``multimask``) per batch row.

        feats: batch B (one row per object); points: float [B, P, 2] (x, y) in model-input
        pixels, labels int [B, P] (1 positive, 0 negative, 2/3 box corners, -1 padding);
        mask_logits: dense prompt [B, 1, 4h, 4w] (stride 4 logits). Returns (mask logits
        [B, M, 4h, 4w], predicted IoU [B, M], object-score logits [B, 1]) with M = 3 or 1;
        ``multimask=None`` returns all four (the single-mask output first, as training needs).
        """
        emb = feats.embedding
        b, _, h, w = emb.shape
        size_in = (h * 16, w * 16)
        if points is None:
            points = torch.zeros(b, 1, 2, device=emb.device)
            labels = -torch.ones(b, 1, dtype=torch.int32, device=emb.device)
        pe = self.prompt_encoder
        coords = (points + 0.5).clone()
        coords[..., 0] = coords[..., 0] / size_in[1]
        coords[..., 1] = coords[..., 1] / size_in[0]
        sparse = pe.pe_layer._pe_encoding(coords)
        lab = labels[..., None]
        sparse = torch.where(lab == -1, torch.zeros_like(sparse) + pe.not_a_point_embed.weight, sparse)
        for k in range(4):
            sparse = torch.where(lab == k, sparse + pe.point_embeddings[k].weight, sparse)
        if mask_logits is not None:
            dense = pe.mask_downscaling(mask_logits)
        else:
            dense = pe.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(b, -1, h, w)
        if self.click_encoder is not None:
            dense = dense + self.click_encoder(points, labels, (h, w))
        masks, iou, _, obj = self.mask_decoder.predict_masks(
            image_embeddings=emb, image_pe=self.dense_pe(h, w), sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense, repeat_image=False, high_res_features=list(feats.high_res),
        )
        if multimask is None:
            return masks, iou, obj
        if multimask:
            return masks[:, 1:], iou[:, 1:], obj
        return masks[:, :1], iou[:, :1], obj


def readout_prompt(prob: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Readout probabilities [N, h', w'] -> dense prompt logits [N, 1, H4, W4] at the stride-4
    ``size`` (default: 4 h' x 4 w', for a stride-16 readout)."""
    size = size or (4 * prob.shape[-2], 4 * prob.shape[-1])
    up = F.interpolate(prob[:, None].float(), size=size, mode="bilinear", align_corners=False)
    p = up.clamp(1e-4, 1 - 1e-4)
    return torch.log(p / (1 - p)).clamp(-READOUT_LOGIT_CLAMP, READOUT_LOGIT_CLAMP)


def mask_values(logits_or_mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Mask probabilities (or a 0/1 mask) [N, 1, H', W'] -> memory values [N, h, w] at the
    memory's value grid ``size`` (area average)."""
    return F.adaptive_avg_pool2d(logits_or_mask.float(), size)[:, 0]
