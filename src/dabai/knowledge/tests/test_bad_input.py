"""Odd numbers in knowledge URLs get a clean 400 or 404, never a server error."""

import pytest
from django.urls import reverse

from dabai.knowledge.models import ArticleStatus
from dabai.knowledge.services import save_article

HUGE = "1" * 23


@pytest.fixture
def article(db, agent):
    article = save_article(actor=agent, title="发票说明", body="电子发票24小时内发送。")
    save_article(actor=agent, article=article, title="发票说明", body="电子发票12小时内发送。")
    return article


@pytest.mark.parametrize(
    "query",
    [
        {"new": HUGE},
        {"old": HUGE, "new": "2"},
        {"new": "-1" + HUGE},
        {"new": "²"},
        {"new": "٢"},
        {"new": "1_0"},
        {"new": "abc"},
        {"new": "2", "old": "1e3"},
        {"new": "4294967296"},
    ],
)
def test_diff_with_an_impossible_version_number_is_a_400(article, agent, client_for, query):
    response = client_for(agent).get(reverse("knowledge:diff", args=[article.pk]), query)
    assert response.status_code == 400


def test_diff_of_versions_that_do_not_exist_shows_no_differences(article, agent, client_for):
    response = client_for(agent).get(reverse("knowledge:diff", args=[article.pk]), {"old": "7", "new": "9"})
    assert response.status_code == 200


@pytest.mark.parametrize("conversation", [HUGE, "abc", "²", "-1"])
def test_knowledge_sms_for_an_impossible_conversation_is_a_400_or_404(agent, client_for, conversation):
    article = save_article(actor=agent, title="退款", body="三天到账", status=ArticleStatus.PUBLISHED)
    response = client_for(agent).post(
        reverse("knowledge:sms", args=[article.pk]), {"conversation": conversation}
    )
    assert response.status_code in {400, 404}


@pytest.mark.parametrize("code", ["z" * 40, "%EF%BC%91", "-1"])
def test_short_links_that_name_nothing_are_404(client, db, code):
    assert client.get(f"/help/s/{code}").status_code == 404
