"""``dabai train_filter_model`` (or ``dabai filter train --from-db``): train from corpus + corrections."""

from django.core.management.base import BaseCommand

from dabai.learning.services import train_version


class Command(BaseCommand):
    help = (
        "Train a filter model from the corpus plus the agents' corrections, evaluate it against the active "
        "model on every held-out set, and activate it only if it is no worse on every headline figure (no "
        "significant paired drop and no fall below a target)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-reviews", action="store_true", help="do not learn sentiment from reviews")
        parser.add_argument("--no-activate", action="store_true", help="keep a no-worse model as a candidate")

    def handle(self, *args, no_reviews: bool = False, no_activate: bool = False, **options) -> None:
        version = train_version(
            reviews=False if no_reviews else None, activate=not no_activate, progress=options["verbosity"] > 1
        )
        out = self.stdout
        out.write(
            f"version #{version.pk} {version.version}: {version.status} "
            f"({version.corrections} corrections, {version.training_records} records, "
            f"compared with {version.baseline_version})"
        )
        baseline = version.baseline_headline or {}
        for figure, value in sorted((version.headline or {}).items()):
            before = baseline.get(figure)
            shown = f"{before:.3f}" if isinstance(before, int | float) else "—"
            out.write(f"  {figure:<40}{value:>7.3f}   was {shown}")
        for figure, candidate, active, *why in version.regressions:
            reason = f" ({why[0]})" if why else ""
            out.write(self.style.WARNING(f"  worse: {figure} {candidate:.3f} < {active:.3f}{reason}"))
