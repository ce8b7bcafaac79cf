from django.core.management.base import BaseCommand, CommandError

from dabai.demo.builder import DEMO_LOGINS, DemoBuilder, demo_loaded


class Command(BaseCommand):
    help = "Load the demo service centre (teams, agents, departments, ~200 customers, ~1,000 conversations)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument("--conversations", type=int, default=1000)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the demo is already loaded."
        )

    def handle(self, *args, customers: int, conversations: int, if_empty: bool, **options) -> None:
        if demo_loaded():
            if if_empty:
                self.stdout.write("Demo already loaded.")
                self.print_logins()
                return
            raise CommandError("The demo is already loaded; use a fresh database to load it again.")
        DemoBuilder(customers=customers, conversations=conversations).build()
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {customers} customers and {conversations} conversations.")
        )
        self.print_logins()

    def print_logins(self) -> None:
        self.stdout.write("Demo logins (username / password):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:10} / {login.password:18} {login.note}")
