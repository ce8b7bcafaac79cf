"""The `dabai` command: Django's management commands plus `dabai filter …`.

dabai migrate            create or upgrade the database
dabai demo               load the demo service centre (once; --reset to reload)
dabai serve              serve HTTP and WebSockets (ASGI) on 127.0.0.1:8000
dabai worker             run background tasks (database queue, or RQ when REDIS_URL is set)
dabai filter analyse …   run the message filter alone, no database needed
dabai filter train --from-db   train from corpus + agents' corrections, activate if no worse
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["filter", "train"] and "--from-db" in args:
        # Training from the database needs Django: the model registry's management command does it.
        args = ["train_filter_model", *(a for a in args[2:] if a != "--from-db")]
    elif args and args[0] == "filter":
        from dabai.filter.cli import main as filter_main

        return filter_main(args[1:])
    if not args or args[0] in {"-h", "--help"}:
        print(__doc__.strip())
        print("\nAll Django management commands work too, e.g. `dabai createsuperuser`.")
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dabai.config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- load the settings now: unsafe settings refuse to start here
    except ImproperlyConfigured as refused:
        print(f"dabai: refusing to start: {refused}", file=sys.stderr)
        return 2

    execute_from_command_line(["dabai", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
