"""The session of a loaded model: :class:`LiteSession` for the lite default network,
:class:`VideoSession` for SAM 2 networks (same contract)."""

from __future__ import annotations

from model.network.lite.lite_sam import LiteSam
from model.network.refs import LoadedModel
from model.session.lite_session import LiteSession
from model.session.session import VideoSession


def open_session(model: LoadedModel, *, feature_cache: int = 2) -> LiteSession | VideoSession:
    """A fresh session for ``model`` (call ``init(frames)`` on it)."""
    if isinstance(model.network, LiteSam):
        return LiteSession(model, feature_cache=feature_cache)
    return VideoSession(model, feature_cache=feature_cache)
