"""State changes of the model registry: train a candidate from the corpus plus agents' corrections, judge it
against the active model on every held-out set, activate it only when it is no worse, and roll back.

Training is slow (minutes on the full corpus) and runs outside any database transaction; each state change
is short, transactional and audited.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.permissions import require_supervisor
from dabai.accounts.services import record_audit
from dabai.core.tasking import enqueue_on_commit
from dabai.filter import corpus, load_model
from dabai.learning.conf import models_dir, train_with_reviews
from dabai.learning.models import FilterModelVersion, VersionStatus
from dabai.learning.selectors import correction_records, forget_active_model, model_path

logger = logging.getLogger(__name__)


class CannotActivate(ValueError):
    """The version is not a trained model on disk (still training, failed, or its file is gone)."""


class NothingToRollBack(ValueError):
    """No version is active: the shipped default model already reads messages."""


def _check(actor: User | None) -> None:
    """People must be supervisors or administrators; ``None`` is the command line (who runs the server)."""
    if actor is not None:
        require_supervisor(actor)


def request_training(*, actor: User | None, request: Any = None) -> FilterModelVersion:
    """A supervisor asks for a candidate: a version row in "training" now, the work in a background task."""
    from dabai.learning.tasks import train_filter_model

    _check(actor)
    with transaction.atomic():
        version = FilterModelVersion.objects.create(status=VersionStatus.TRAINING, created_by=actor)
        record_audit(actor, "filter_model.training_requested", version, request=request)
        enqueue_on_commit(train_filter_model, version.pk)
    return version


def train_version(
    version: FilterModelVersion | None = None,
    *,
    actor: User | None = None,
    reviews: bool | None = None,
    activate: bool = True,
    progress: bool = False,
) -> FilterModelVersion:
    """Train a candidate from the corpus plus every correction, judge it, and activate it if no worse.

    The candidate and the model active now (or the shipped default when none is) are evaluated on all
    held-out sets, message by message; the candidate becomes active only if the release rule
    (``corpus.regressions``: a significant paired drop, or a fall below a target, on a figure resting on at
    least ten positives) finds no headline figure it makes worse.  Otherwise it is kept as "rejected" with
    the figures it made worse, by how much and why.
    """
    from dabai.filter.train import compact_metrics, train

    _check(actor)
    if version is None:
        version = FilterModelVersion.objects.create(status=VersionStatus.TRAINING, created_by=actor)
    actor = actor or version.created_by
    reviews = train_with_reviews() if reviews is None else reviews
    try:
        corrections = correction_records()
        records = corpus.training_records() + corrections
        model = train(records, reviews=reviews, progress=progress)
        sets = corpus.heldout_sets()
        judged = corpus.judge(model, sets)  # each set predicted once per model, kept per message
        metrics = _plain(compact_metrics(judged.metrics))
        figures = corpus.headline(metrics)
        model.meta["metrics"], model.meta["headline"] = metrics, figures
        directory = models_dir()
        directory.mkdir(parents=True, exist_ok=True)
        name = f"filter-{version.pk:05d}-{model.version}.npz"
        model.save(directory / name)
        baseline = FilterModelVersion.objects.filter(status=VersionStatus.ACTIVE).first()
        baseline_model = load_model(model_path(baseline)) if baseline is not None else load_model()
        baseline_judged = corpus.judge(baseline_model, sets)
        baseline_figures = corpus.headline(baseline_judged.metrics)
        compared = corpus.comparisons(judged, baseline_judged)
    except Exception as exc:
        logger.exception("training filter model version %s failed", version.pk)
        version.status, version.error = VersionStatus.FAILED, f"{type(exc).__name__}: {exc}"
        version.save(update_fields=["status", "error"])
        record_audit(actor, "filter_model.training_failed", version, {"error": version.error})
        raise
    worse = [c for c in compared if c.decides]
    # Every figure's verdict (p-values, drops too small or on too few positives to decide) for the page.
    metrics["release_rule"] = _plain([{**asdict(c), "detail": c.detail or c.verdict} for c in compared])
    version.version = model.version
    version.file = name
    version.trained_at = timezone.now()
    version.corrections = len(corrections)
    version.training_records = len(records)
    version.headline, version.metrics = figures, metrics
    version.baseline_version = _version_name(baseline, baseline_model)
    version.baseline_headline = baseline_figures
    version.regressions = [c.as_row() for c in worse]  # figure, candidate, active, why
    version.status = VersionStatus.REJECTED if worse else VersionStatus.CANDIDATE
    version.save()
    record_audit(
        actor,
        "filter_model.rejected" if worse else "filter_model.trained",
        version,
        {
            "version": version.version,
            "compared_with": version.baseline_version,
            "corrections": version.corrections,
            "made_worse": [c.figure for c in worse],
        },
    )
    if not worse and activate:
        if _active_pk() != (baseline.pk if baseline is not None else None):
            # Another version became active while this one trained: it was judged against the wrong model.
            logger.warning(
                "filter model %s stays a candidate: the active model changed meanwhile", version.pk
            )
            return version
        activate_version(version, actor=actor, reason="no worse on every headline figure")
        version.refresh_from_db()
    return version


def activate_version(
    version: FilterModelVersion, *, actor: User | None, reason: str = "chosen", request: Any = None
) -> FilterModelVersion:
    """Make *version* the one active model (the admin's choice, or a candidate that was no worse)."""
    _check(actor)
    with transaction.atomic():
        target = FilterModelVersion.objects.select_for_update().get(pk=version.pk)
        if not target.usable or not model_path(target).exists():
            raise CannotActivate(str(target))
        current = FilterModelVersion.objects.select_for_update().filter(status=VersionStatus.ACTIVE).first()
        if current is not None and current.pk == target.pk:
            return target
        if current is not None:
            current.status = VersionStatus.RETIRED
            current.save(update_fields=["status"])
        target.status = VersionStatus.ACTIVE
        target.activated_at, target.activated_by, target.previous = timezone.now(), actor, current
        target.save(update_fields=["status", "activated_at", "activated_by", "previous"])
        record_audit(
            actor,
            "filter_model.activated",
            target,
            {"version": target.version, "replaced": current.version if current else "", "reason": reason},
            request=request,
        )
        transaction.on_commit(forget_active_model)
    forget_active_model()
    return target


def roll_back(*, actor: User | None, request: Any = None) -> FilterModelVersion | None:
    """One click back: the active version retires and the one active before it (or the shipped default)
    reads messages again.  Returns the version now active, ``None`` for the shipped default."""
    _check(actor)
    with transaction.atomic():
        current = FilterModelVersion.objects.select_for_update().filter(status=VersionStatus.ACTIVE).first()
        if current is None:
            raise NothingToRollBack
        target = current.previous
        if target is not None:
            target = FilterModelVersion.objects.select_for_update().get(pk=target.pk)
            if not target.usable or not model_path(target).exists():
                raise CannotActivate(str(target))
        current.status = VersionStatus.RETIRED
        current.save(update_fields=["status"])
        if target is not None:
            target.status = VersionStatus.ACTIVE
            target.activated_at, target.activated_by = timezone.now(), actor
            target.save(update_fields=["status", "activated_at", "activated_by"])
        record_audit(
            actor,
            "filter_model.rolled_back",
            current,
            {"from": current.version, "to": target.version if target is not None else "shipped default"},
            request=request,
        )
        transaction.on_commit(forget_active_model)
    forget_active_model()
    return target


def _active_pk() -> int | None:
    return FilterModelVersion.objects.filter(status=VersionStatus.ACTIVE).values_list("pk", flat=True).first()


def _version_name(row: FilterModelVersion | None, model: Any) -> str:
    if row is not None:
        return row.version
    return f"shipped {getattr(model, 'version', 'rules')}"


def _plain(value: Any) -> Any:
    """Metrics as plain JSON (numpy numbers become floats)."""
    return json.loads(json.dumps(value, default=float))
