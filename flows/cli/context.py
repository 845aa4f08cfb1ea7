"""Per-invocation CLI context: settings are built lazily, once, on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from flows.settings import Settings, load_settings


@dataclass
class CliContext:
    """What the root callback hands to every command through ``ctx.obj``."""

    home: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(home=self.home)
        return self._settings


def settings_of(ctx: typer.Context, **overrides: object) -> Settings:
    """Settings of this invocation; ``overrides`` (CLI options that are set) win."""
    root = ctx.find_root().obj
    base = root.settings if isinstance(root, CliContext) else load_settings()
    clean = {k: v for k, v in overrides.items() if v is not None}
    return base.model_copy(update=clean) if clean else base
