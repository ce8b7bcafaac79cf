import pytest

from dabai.knowledge.demo import load_help_centre
from dabai.knowledge.models import Article


@pytest.fixture
def help_centre(db) -> dict[str, Article]:
    """The fixed sample help centre, by slug."""
    load_help_centre()
    return {a.slug: a for a in Article.objects.all()}
