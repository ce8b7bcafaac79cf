"""A tiny corpus (tests/corpus: 240 training turns, 80 + 60 held out) keeps training to seconds; model files
go to a temporary folder; each test starts and ends with no cached idea of the active model."""

from pathlib import Path

import pytest

from dabai.learning.selectors import forget_active_model

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(autouse=True)
def tiny_corpus(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DABAI_FILTER_CORPUS", str(CORPUS))
    settings.DABAI_FILTER_MODELS_DIR = tmp_path / "filter-models"
    settings.DABAI_FILTER_TRAIN_REVIEWS = False
    forget_active_model()
    yield
    forget_active_model()
