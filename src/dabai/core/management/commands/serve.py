from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve dabai over HTTP and WebSockets (ASGI, daphne)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options) -> None:
        from daphne.cli import CommandLineInterface

        self.stdout.write(f"dabai serving on http://{host}:{port}/")
        CommandLineInterface().run(["-b", host, "-p", str(port), "dabai.config.asgi:application"])
