import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve dabai over HTTP and WebSockets (ASGI, uvicorn)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options) -> None:
        """uvicorn (uvloop, httptools) rather than daphne: about half the time per request under a burst.

        Django has no lifespan events, so that protocol is off; access logs follow DABAI_ACCESS_LOG.
        """
        import uvicorn

        self.stdout.write(f"dabai serving on http://{host}:{port}/")
        self.stdout.flush()
        uvicorn.run(
            "dabai.config.asgi:application",
            host=host,
            port=int(port),
            lifespan="off",
            access_log=os.environ.get("DABAI_ACCESS_LOG", "1") != "0",
            log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        )
