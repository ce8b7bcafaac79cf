from django.core.management.base import BaseCommand

from dabai.knowledge.demo import load_help_centre


class Command(BaseCommand):
    help = "Load the sample help centre (categories, articles, synonyms) unless articles exist."

    def handle(self, *args, **options) -> None:
        created = load_help_centre()
        self.stdout.write(f"{created} articles created")
