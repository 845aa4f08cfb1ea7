"""Sampling math: exact strides, no drift, target >= source keeps every frame."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.errors import InvalidInputError
from storage.media.sampling import effective_fps, sampled_source_indices, sampling_stride


def test_24_to_6_fps_keeps_every_4th_frame() -> None:
    assert sampled_source_indices(483, 24, 6) == list(range(0, 483, 4))
    assert len(sampled_source_indices(483, 24, 6)) == 121  # SA-V: 121 annotated frames


def test_25_to_6_fps() -> None:
    assert sampled_source_indices(26, 25, 6) == [0, 5, 9, 13, 17, 21, 25]
    assert sampling_stride(25, 6) == Fraction(25, 6)


def test_ntsc_rate_has_no_drift_over_an_hour() -> None:
    rate = Fraction(30000, 1001)
    n = int(rate * 3600)
    kept = sampled_source_indices(n, rate, rate / 5)
    assert kept == list(range(0, n, 5))


def test_target_at_or_above_source_keeps_every_frame() -> None:
    assert sampled_source_indices(5, 25, 30) == [0, 1, 2, 3, 4]
    assert effective_fps(25, 30) == 25


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_rates_are_rejected(bad: float) -> None:
    with pytest.raises(InvalidInputError):
        sampled_source_indices(10, 25, bad)


@given(n=st.integers(0, 2000), source=st.integers(1, 120), target=st.integers(1, 120))
def test_kept_frames_increase_and_match_the_rate(n: int, source: int, target: int) -> None:
    kept = sampled_source_indices(n, source, target)
    assert all(a < b for a, b in itertools.pairwise(kept))
    assert all(0 <= i < n for i in kept)
    duration = n / source
    expected = duration * min(source, target)
    assert abs(len(kept) - expected) <= 1
