"""dabai.filter — the framework-free message filter: personal data, entities, sentiment, intent and more.

Importing this package is cheap: the heavy parts (numpy, rjieba, OpenCC, the model file) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Analysis", "analyse", "analyse_many", "load_model", "mask"]

if TYPE_CHECKING:
    from .analysis import Analysis, analyse, analyse_many, mask
    from .model import load_model


def __getattr__(name: str) -> Any:
    """Import the public API lazily so ``import dabai.filter`` stays fast."""
    if name in ("Analysis", "analyse", "analyse_many", "mask"):
        from . import analysis

        return getattr(analysis, name)
    if name == "load_model":
        from .model import load_model

        return load_model
    raise AttributeError(name)
