"""The site's own 403, 404 and 500 pages, in the interface's language and style, and a language switch that
names each language in that language."""

import pytest
from django.conf import settings
from django.template import loader
from django.urls import reverse
from django.utils import translation


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_missing_page_is_the_sites_404_in_chinese_by_default(client_for, agent):
    response = client_for(agent).get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="error-404"' in page
    assert "页面不存在" in page and "dabai.css" in page, "in the site's language and style, with its menu"


def test_the_404_speaks_english_when_the_interface_does(english):
    page = english.get("/no-such-page/").content.decode()
    assert "This page does not exist" in page


def test_a_refused_page_is_the_sites_403_in_chinese(client_for, agent):
    response = client_for(agent).get(reverse("learning:versions"))  # a supervisor's page
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-403"' in page and "无权" in page


def test_the_500_page_renders_without_a_request_or_the_database(db, django_assert_num_queries):
    with translation.override("zh-hans"), django_assert_num_queries(0):
        page = loader.get_template("500.html").render()
    assert 'data-testid="error-500"' in page and "出错" in page
    with translation.override("en"):
        assert "Something went wrong on our side" in loader.get_template("500.html").render()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_language_switch_names_each_language_in_itself(client_for, agent, language):
    client = client_for(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("replies:macros")).content.decode()
    switch = page.split('data-testid="language"')[1].split("</select>")[0]
    assert ">简体中文</option>" in switch and ">English</option>" in switch
    assert "英语" not in switch and "Simplified Chinese" not in switch


def test_an_unknown_customer_id_is_the_sites_404_too(client_for, agent):
    response = client_for(agent).get(reverse("customers:detail", args=[2_147_483_000]))
    assert response.status_code == 404 and 'data-testid="error-404"' in response.content.decode()
