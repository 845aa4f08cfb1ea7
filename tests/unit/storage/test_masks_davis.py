"""DAVIS PNGs: palette and 0/255 masks read as object ids; written masks use the DAVIS palette."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storage.errors import InvalidInputError
from storage.masks.davis_png import davis_palette, object_ids, read_davis_mask, write_davis_mask


def _ids() -> np.ndarray:
    ids = np.zeros((20, 30), dtype=np.uint8)
    ids[2:8, 3:9] = 1
    ids[10:18, 12:25] = 2
    ids[0:3, 25:30] = 3
    return ids


def test_palette_round_trip_several_objects(tmp_path: Path) -> None:
    write_davis_mask(tmp_path / "00000.png", _ids())
    with Image.open(tmp_path / "00000.png") as img:
        assert img.mode == "P"
        assert img.getpalette()[:12] == [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0]
    assert np.array_equal(read_davis_mask(tmp_path / "00000.png"), _ids())
    assert object_ids([_ids(), np.zeros((2, 2), np.uint8)]) == [1, 2, 3]


def test_binary_0_255_mask_is_object_1(tmp_path: Path) -> None:
    mask = (_ids() > 0).astype(np.uint8) * 255
    Image.fromarray(mask, mode="L").save(tmp_path / "m.png")
    assert np.array_equal(read_davis_mask(tmp_path / "m.png"), (_ids() > 0).astype(np.uint8))


def test_gray_ids_and_gray_rgb_are_read(tmp_path: Path) -> None:
    Image.fromarray(_ids(), mode="L").save(tmp_path / "ids.png")
    assert np.array_equal(read_davis_mask(tmp_path / "ids.png"), _ids())
    rgb = np.repeat(((_ids() > 0) * 255).astype(np.uint8)[..., None], 3, axis=2)
    Image.fromarray(rgb, mode="RGB").save(tmp_path / "rgb.png")
    assert read_davis_mask(tmp_path / "rgb.png").max() == 1


def test_colored_rgb_and_garbage_are_rejected(tmp_path: Path) -> None:
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[0, 0] = (128, 0, 0)
    Image.fromarray(rgb, mode="RGB").save(tmp_path / "color.png")
    with pytest.raises(InvalidInputError, match="palette"):
        read_davis_mask(tmp_path / "color.png")
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(InvalidInputError):
        read_davis_mask(tmp_path / "junk.png")


def test_palette_is_the_voc_colormap() -> None:
    palette = davis_palette()
    assert len(palette) == 768
    assert palette[3 * 15:3 * 16] == [192, 128, 128]  # VOC "person"
