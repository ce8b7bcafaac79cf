import pytest

from dabai.listening.models import WatchKind, Watchlist, WatchTerm


@pytest.fixture
def brand(db):
    """A brand watchlist (大白 with its synonyms) and a complaint phrase list."""
    brand = Watchlist.objects.create(name="品牌", kind=WatchKind.BRAND)
    WatchTerm.objects.create(watchlist=brand, term="大白", synonyms="dabai\n大白宽带")
    phrases = Watchlist.objects.create(name="投诉用语", kind=WatchKind.COMPLAINT)
    WatchTerm.objects.create(watchlist=phrases, term="宽带断网", synonyms="断网,掉线")
    return brand


def status(post_id, text, *, uid="5001", name="路人甲", followers=12000, reposts=300, comments=45, **extra):
    return {
        "id": post_id,
        "idstr": str(post_id),
        "text": text,
        "created_at": "Mon Nov 30 10:00:00 +0800 2026",
        "reposts_count": reposts,
        "comments_count": comments,
        "attitudes_count": 7,
        "user": {
            "id": int(uid),
            "idstr": uid,
            "screen_name": name,
            "followers_count": followers,
            "verified": True,
            "description": "数码博主",
        },
        **extra,
    }
