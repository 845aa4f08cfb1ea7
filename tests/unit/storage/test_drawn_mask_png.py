"""Reading a hand-drawn mask PNG (storage/masks/drawn_mask_png.py): which pixels are the object,
and one clear error for a file that is not a readable PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storage.errors import InvalidInputError, NotFoundError
from storage.masks.drawn_mask_png import read_drawn_mask

H, W = 6, 8


def _expected() -> np.ndarray:
    out = np.zeros((H, W), bool)
    out[1:4, 2:5] = True
    return out


def _save(tmp_path: Path, name: str, array: np.ndarray, mode: str | None = None, **kw) -> Path:
    path = tmp_path / name
    img = Image.fromarray(array, mode=mode) if mode else Image.fromarray(array)
    img.save(path, format=kw.pop("format", "PNG"), **kw)
    return path


def test_grayscale_and_one_bit(tmp_path: Path) -> None:
    gray = _expected().astype(np.uint8) * 255
    assert (read_drawn_mask(_save(tmp_path, "g.png", gray)) == _expected()).all()
    low = _expected().astype(np.uint8)  # value 1 is the object too (DAVIS 2016 style 0/1)
    assert (read_drawn_mask(_save(tmp_path, "l.png", low)) == _expected()).all()
    path = tmp_path / "b.png"
    Image.fromarray(_expected()).convert("1").save(path)
    assert (read_drawn_mask(path) == _expected()).all()


def test_rgb_any_channel_nonzero(tmp_path: Path) -> None:
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[1:4, 2:4, 0] = 200  # red
    rgb[1:4, 4, 2] = 1  # faint blue
    got = read_drawn_mask(_save(tmp_path, "rgb.png", rgb))
    assert got.shape == (H, W) and got.dtype == bool and (got == _expected()).all()


def test_alpha_decides_when_the_png_is_transparent(tmp_path: Path) -> None:
    rgba = np.full((H, W, 4), 255, np.uint8)  # white everywhere, opaque only on the object
    rgba[..., 3] = _expected().astype(np.uint8) * 255
    assert (read_drawn_mask(_save(tmp_path, "a.png", rgba)) == _expected()).all()
    opaque = np.zeros((H, W, 4), np.uint8)  # fully opaque alpha: the colors decide
    opaque[..., 3] = 255
    opaque[_expected(), 1] = 255
    assert (read_drawn_mask(_save(tmp_path, "o.png", opaque)) == _expected()).all()


def test_palette_png(tmp_path: Path) -> None:
    from storage.masks.davis_png import write_davis_mask

    ids = _expected().astype(np.uint8) * 2
    path = tmp_path / "p.png"
    write_davis_mask(path, ids)
    assert (read_drawn_mask(path) == _expected()).all()


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_corrupt_file_is_one_invalid_input_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match="bad.png is not a readable PNG image") as info:
        read_drawn_mask(path)
    assert "\n" not in str(info.value) and info.value.exit_code == 2


def test_truncated_png_and_other_formats_are_refused(tmp_path: Path) -> None:
    good = _save(tmp_path, "good.png", _expected().astype(np.uint8) * 255)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])  # inside the pixel data
    with pytest.raises(InvalidInputError, match="cut.png is not a readable PNG image"):
        read_drawn_mask(cut)
    jpeg = _save(tmp_path, "m.jpg", _expected().astype(np.uint8) * 255, format="JPEG")
    with pytest.raises(InvalidInputError, match="is a JPEG image; save the mask as PNG"):
        read_drawn_mask(jpeg)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        read_drawn_mask(tmp_path / "none.png")
    with pytest.raises(InvalidInputError, match="is not a file"):
        read_drawn_mask(tmp_path)
