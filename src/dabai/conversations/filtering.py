"""Which filter model reads customer messages.

Conversations are the hub and know nothing of the apps built on them, so the model registry
(``dabai.learning``) registers a *provider* here when Django starts; without one (or when the provider has no
active version) the filter's shipped default model reads.  The provider answers a model file path, a loaded
``Model`` or ``None`` and is responsible for being cheap (it is asked once per batch read).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dabai.filter.model import Model

_provider: Callable[[], Model | str | Path | None] | None = None


def register_model_provider(provider: Callable[[], Model | str | Path | None] | None) -> None:
    """Install (or with ``None`` remove) the function that names the active filter model."""
    global _provider
    _provider = provider


def current_model() -> Model | str | None:
    """The model ``read_messages`` analyses with: the provider's answer, or ``None`` (shipped default)."""
    if _provider is None:
        return None
    chosen = _provider()
    return str(chosen) if isinstance(chosen, Path) else chosen
