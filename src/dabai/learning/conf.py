"""Settings of the model registry, each with an environment fallback."""

import os
from pathlib import Path

from django.conf import settings


def models_dir() -> Path:
    """Where trained model files live: ``$DABAI_VAR_DIR/filter-models/``."""
    return Path(
        getattr(settings, "DABAI_FILTER_MODELS_DIR", None) or Path(settings.VAR_DIR) / "filter-models"
    )


def train_with_reviews() -> bool:
    """Sentiment also learns from the review corpus (slow; tests and the browser suite switch it off)."""
    configured = getattr(settings, "DABAI_FILTER_TRAIN_REVIEWS", None)
    if configured is not None:
        return bool(configured)
    return os.environ.get("DABAI_FILTER_TRAIN_REVIEWS", "1").lower() not in {"0", "false", "no", "off"}


def refresh_seconds() -> float:
    """How long a process trusts its idea of the active model before asking the database again."""
    return float(getattr(settings, "DABAI_FILTER_MODEL_REFRESH_SECONDS", None) or 5)
