"""A customer's gender comes from the channel profiles that state it (a Weibo profile), so the desk can say
杜女士 / 杜先生; nobody guesses it, and what somebody set is never overwritten."""

import pytest

from dabai.channels.weibo.adapter import item_message
from dabai.conversations.services import receive_messages
from dabai.customers.models import Customer, Gender
from dabai.customers.services import Handle, resolve_customers
from dabai.testing import CustomerFactory

pytestmark = pytest.mark.django_db


def comment(uid: int, gender: str, item_id: int) -> dict:
    return {
        "id": item_id,
        "created_at": "Wed Nov 25 09:05:00 +0800 2026",
        "text": "退款一周了还没到账",
        "user": {"id": uid, "screen_name": f"用户{uid}", "gender": gender},
        "status": {"id": 4800},
    }


def test_a_weibo_profiles_gender_fills_the_new_customers_gender():
    receive_messages(
        [item_message(comment(1, "f", 10), "comment", 1), item_message(comment(2, "m", 11), "comment", 2)],
        analyse=False,
    )
    receive_messages([item_message(comment(3, "n", 12), "comment", 3)], analyse=False)
    genders = dict(Customer.objects.values_list("display_name", "gender"))
    assert genders == {"用户1": Gender.FEMALE, "用户2": Gender.MALE, "用户3": Gender.UNKNOWN}


def test_a_known_customers_unknown_gender_is_learnt_but_a_set_one_is_kept():
    silent = resolve_customers([Handle("weibo", "7", display_name="杜丽娟")])
    customer = next(iter(silent.values()))
    assert customer.gender == Gender.UNKNOWN
    resolve_customers([Handle("weibo", "7", gender=Gender.FEMALE)])
    customer.refresh_from_db()
    assert customer.gender == Gender.FEMALE
    set_by_hand = CustomerFactory(gender=Gender.MALE)
    set_by_hand.identities.create(channel="weibo", external_id="8")
    resolve_customers([Handle("weibo", "8", gender=Gender.FEMALE)])
    set_by_hand.refresh_from_db()
    assert set_by_hand.gender == Gender.MALE
