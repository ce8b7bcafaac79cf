"""Reads of the model registry: the active model (cached per process), the versions page, the corrections."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from dabai.conversations.models import CorrectedSignal, Direction, LabelCorrection
from dabai.learning.conf import models_dir, refresh_seconds
from dabai.learning.models import FilterModelVersion, VersionStatus

logger = logging.getLogger(__name__)

CORRECTION_WEIGHT = 2.0

# ------------------------------------------------------------------------------------------- active model

_lock = threading.Lock()
_active: dict[str, Any] = {"checked": float("-inf"), "path": None}


def model_path(version: FilterModelVersion) -> Path:
    path = Path(version.file)
    return path if path.is_absolute() else models_dir() / path


def active_version() -> FilterModelVersion | None:
    return FilterModelVersion.objects.filter(status=VersionStatus.ACTIVE).first()


def active_model_path() -> str | None:
    """The file of the active version, or ``None`` for the shipped default model.

    Each process asks the database at most every few seconds (one indexed query), so an activation or a
    rollback in the admin reaches every web and worker process within that time; the process that made the
    change forgets at once (``forget_active_model``).  Model files never change once written, so the
    filter's per-path cache stays valid.
    """
    now = time.monotonic()
    if now - _active["checked"] < refresh_seconds():
        return _active["path"]
    with _lock:
        if now - _active["checked"] >= refresh_seconds():
            row = FilterModelVersion.objects.filter(status=VersionStatus.ACTIVE).values_list("file").first()
            path = None
            if row is not None:
                candidate = Path(row[0])
                candidate = candidate if candidate.is_absolute() else models_dir() / candidate
                if candidate.exists():
                    path = str(candidate)
                else:
                    logger.error(
                        "active filter model %s is missing: the shipped model reads instead", candidate
                    )
            _active.update(path=path, checked=time.monotonic())
    return _active["path"]


def forget_active_model() -> None:
    """Ask the database again on the next read (after an activation or rollback in this process)."""
    with _lock:
        _active.update(path=None, checked=float("-inf"))


# -------------------------------------------------------------------------------------------- corrections


def correction_records() -> list[dict[str, Any]]:
    """Every corrected customer message as a training record: only the corrected signals, weight 2.

    The newest correction per (message, signal) counts; a message corrected on two signals gives one record
    with both labels.
    """
    rows = (
        LabelCorrection.objects.filter(message__direction=Direction.INBOUND)
        .order_by("message_id", "signal", "-id")
        .values_list("message_id", "signal", "value", "message__body", "message__channel")
    )
    records: dict[int, dict[str, Any]] = {}
    seen: set[tuple[int, str]] = set()
    for message_id, signal, value, body, channel in rows:
        if (message_id, signal) in seen:
            continue
        seen.add((message_id, signal))
        record = records.setdefault(
            message_id, {"text": body, "channel": channel, "weight": CORRECTION_WEIGHT}
        )
        if signal in (CorrectedSignal.ESCALATION, CorrectedSignal.SPAM):
            record[signal] = value == "true"
        else:
            record[signal] = value
    return list(records.values())


def correction_count() -> int:
    return LabelCorrection.objects.values("message_id", "signal").distinct().count()


# ------------------------------------------------------------------------------------------------ the page


@dataclass(frozen=True)
class VersionRow:
    version: FilterModelVersion
    figures: list[tuple[float | None, bool]]  # per headline column: value, made worse than its baseline
    undecided: list[dict]  # figures lower than the baseline's, but by too little or on too few to decide


@dataclass(frozen=True)
class VersionsPage:
    active: FilterModelVersion | None
    rollback_to: FilterModelVersion | None  # the previous active version (None: the shipped default)
    shipped_version: str
    columns: list[str]
    rows: list[VersionRow]
    training: bool


def versions(limit: int = 30) -> QuerySet[FilterModelVersion]:
    return FilterModelVersion.objects.select_related("created_by", "activated_by", "previous")[:limit]


def versions_page(shipped_version: str) -> VersionsPage:
    rows = list(versions())
    active = next((v for v in rows if v.status == VersionStatus.ACTIVE), None) or active_version()
    columns = sorted({key for v in rows for key in (v.headline or {})})
    table = []
    for v in rows:
        worse = {figure for figure, *_ in v.regressions or []}
        undecided = [
            c
            for c in (v.metrics or {}).get("release_rule", [])
            if c.get("verdict") in ("too few to decide", "worse, not significant")
        ]
        table.append(VersionRow(v, [((v.headline or {}).get(c), c in worse) for c in columns], undecided))
    return VersionsPage(
        active=active,
        rollback_to=active.previous if active is not None else None,
        shipped_version=shipped_version,
        columns=columns,
        rows=table,
        training=any(v.status == VersionStatus.TRAINING for v in rows),
    )
