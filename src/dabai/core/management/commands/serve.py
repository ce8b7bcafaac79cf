import copy
import logging
import os
import signal
import sys
import urllib.parse
from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dabai.core.profiling import profile_dir, profiled

# Query parameters that sign or authenticate a request (WeChat's callback URL, API tokens): a line in the
# access log must not be enough to replay or forge a request.
SECRET_PARAMETERS = {"signature", "msg_signature", "nonce", "echostr", "access_token", "token", "sig"}


class RedactQuery(logging.Filter):
    """Drop the query string of an access-log line when it carries a signature, nonce or token."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            path, _, query = args[2].partition("?")
            keys = {key.lower() for key, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)}
            if keys & SECRET_PARAMETERS or any(s in query.lower() for s in ("signature", "nonce")):
                record.args = (*args[:2], f"{path}?[redacted]", *args[3:])
        return True


def uvicorn_log_config() -> dict:
    """uvicorn's own logging setup with the access log passed through ``RedactQuery``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": f"{__name__}.RedactQuery"}
    config["handlers"]["access"]["filters"] = ["redact_query"]
    return config


class Command(BaseCommand):
    help = "Serve dabai over HTTP and WebSockets (ASGI, uvicorn)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("DABAI_WEB_WORKERS", "1")),
            help="uvicorn worker processes (above 1 needs REDIS_URL, where live events cross processes)",
        )

    def handle(self, *args, host: str, port: str, workers: int, **options) -> None:
        """uvicorn (uvloop, httptools) rather than daphne: about half the time per request under a burst.

        Django has no lifespan events, so that protocol is off; access logs follow DABAI_ACCESS_LOG and never
        show signed query strings (``RedactQuery``).
        """
        import uvicorn

        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if workers > 1 and "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            raise CommandError(
                "--workers above 1 needs REDIS_URL: an agent connected to one worker would not hear the live "
                "events of another (the in-memory channel layer lives in one process)"
            )
        self.stdout.write(f"dabai serving on http://{host}:{port}/ ({workers} worker{'s' * (workers > 1)})")
        self.stdout.flush()
        # DABAI_PROFILE_DIR: the web process under cProfile, as the drain and the worker (one process only:
        # with --workers uvicorn's children are not this process). uvicorn re-raises the SIGTERM it stopped
        # on once it is done; as SystemExit here, the profile is written on the way out.
        if workers == 1 and profile_dir() is not None:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with profiled("web") if workers == 1 else nullcontext():
            self._run(uvicorn, host, port, workers)

    def _run(self, uvicorn, host: str, port: str, workers: int) -> None:
        uvicorn.run(
            "dabai.config.asgi:application",
            host=host,
            port=int(port),
            workers=workers,
            lifespan="off",
            access_log=os.environ.get("DABAI_ACCESS_LOG", "1") != "0",
            log_config=uvicorn_log_config(),
            log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        )
