"""Drafts answer like a person: tone per channel, soothing first, the customer's register, the calendar."""

from datetime import date

import pytest

from dabai.filter import analyse, mask
from dabai.replies.drafting import SMS_SEGMENT, DraftContext, build_draft, fill_variables, pack_sms
from dabai.replies.festivals import festival_on

ANGRY = (
    "我的订单DD20240101123456一周了还没到，气死我了！我叫王小明，电话13812345678，再不处理我就投诉到12315！"
)
PRAISE = "谢谢你们，服务很棒，点赞！"
ORDINARY_DAY = date(2026, 11, 25)
LANTERN_FESTIVAL = date(2027, 2, 20)


def draft(text: str, channel: str, **kwargs):
    context = DraftContext(
        channel=channel,
        analysis=analyse(text, channel).to_dict(),
        customer_name=kwargs.pop("customer_name", "王小明"),
        agent_name=kwargs.pop("agent_name", "李晓"),
        festival=festival_on(kwargs.pop("day", ORDINARY_DAY)),
        **kwargs,
    )
    return build_draft(context)


def test_weibo_complaint_never_puts_personal_data_in_the_public_draft():
    result = draft("@大白客服 " + ANGRY, "weibo", is_public=True)
    assert result.tone == "public"
    for secret in ("13812345678", "王小明", "DD20240101123456", "12315"):
        assert secret not in result.text
    assert mask(result.text) == result.text
    assert "私信" in result.text  # details move to a private message
    assert len(result.text) <= 140


def test_angry_message_gets_a_soothing_opener_before_the_next_step():
    result = draft(ANGRY, "chat")
    lines = result.text.splitlines()
    assert "抱歉" in lines[1] and "理解" in lines[1]
    step = next(line for line in lines if "给您回复" in line)
    assert lines.index(step) > 1
    assert "2小时内" in step or "30分钟内" in step  # a concrete time, and a short one for an upset customer
    assert "DD20240101123456" in step  # the order number from the filter, in a private channel


def test_escalation_threat_is_met_with_ownership_not_with_the_regulator():
    result = draft(ANGRY, "wechat")
    assert "全程负责跟进" in result.text
    assert "12315" not in result.text


def test_email_is_formal_and_complete():
    result = draft(ANGRY, "email")
    assert result.text.startswith("尊敬的王小明：")
    assert "此致\n敬礼！" in result.text
    assert result.text.rstrip().endswith("大白客服中心")
    assert "～" not in result.text and "亲" not in result.text


def test_chat_is_warm_and_short():
    result = draft("请问会员怎么续费？我的账号登不上去了", "chat")
    assert "～" in result.text
    assert len(result.text) < 150


def test_sms_segments_are_at_most_70_characters():
    result = draft(ANGRY, "sms")
    assert result.tone == "sms"
    assert result.segments[0].startswith("【大白客服】")
    assert all(len(segment) <= SMS_SEGMENT for segment in result.segments)
    assert result.text == "\n".join(result.segments)


def test_long_sentences_are_split_for_sms():
    segments = pack_sms(["很长的一句话，" * 30])
    assert len(segments) > 1
    assert all(len(s) <= SMS_SEGMENT for s in segments)
    assert "".join(segments) == "很长的一句话，" * 30


def test_praise_gets_a_brief_thank_you():
    result = draft(PRAISE, "chat")
    assert "谢谢" in result.text or "感谢" in result.text
    assert "抱歉" not in result.text
    assert len(result.text.splitlines()) <= 2


def test_master_or_teacher_is_answered_respectfully():
    result = draft("师傅，请问我的快递到哪了？", "chat")
    assert "您好，我是客服李晓，很高兴为您服务。" in result.text
    assert "～" not in result.text


def test_familiar_qin_is_answered_in_kind():
    result = draft("亲，请问我的快递到哪了？", "wechat")
    assert result.text.startswith("亲，您好呀～")


def test_an_improper_address_gets_a_polite_neutral_answer():
    result = draft("小姐，我的快递到底什么时候到？", "chat")
    assert "小姐" not in result.text
    assert result.text.startswith("您好，我是客服李晓。")
    assert "～" not in result.text and "呀" not in result.text


def test_elderly_customer_gets_plain_words_and_an_offer_to_call():
    result = draft("我不会弄这个手机，话费怎么扣了这么多，着急死了", "chat", elderly=True)
    assert result.tone == "plain"
    assert "打电话" in result.text
    assert "～" not in result.text and "亲" not in result.text


def test_festival_day_adds_the_greeting_and_a_normal_day_does_not():
    on_festival = draft("请问我的快递到哪了？", "chat", day=LANTERN_FESTIVAL)
    ordinary = draft("请问我的快递到哪了？", "chat", day=ORDINARY_DAY)
    assert "元宵节快乐" in on_festival.text
    assert "快乐" not in ordinary.text
    assert "festival:lantern" in on_festival.reasons


def test_festival_greeting_waits_until_after_the_apology_for_an_angry_customer():
    result = draft(ANGRY, "chat", day=LANTERN_FESTIVAL)
    lines = result.text.splitlines()
    assert "元宵节快乐" in lines[-1]
    assert "抱歉" in lines[1]


def test_email_festival_greeting_is_formal():
    result = draft("请问发票怎么开？", "email", day=date(2026, 9, 25))
    assert "值此中秋佳节" in result.text


@pytest.mark.parametrize("channel", ["email", "chat", "wechat", "sms", "phone", "weibo"])
def test_every_channel_gets_a_chinese_draft_even_without_analysis(channel):
    result = build_draft(DraftContext(channel=channel))
    assert result.text
    assert any("\u4e00" <= c <= "\u9fff" for c in result.text)


def test_macro_variables_are_filled_and_unknown_values_leave_a_visible_gap():
    text = "{customer_name}您好，订单{order_number}已发出。{agent_name}为您服务。{other}"
    filled = fill_variables(text, {"customer_name": "王女士", "order_number": "", "agent_name": "李晓"})
    assert filled == "王女士您好，订单【订单号】已发出。李晓为您服务。{other}"


def test_elderly_customer_on_sms_still_gets_short_segments_and_email_stays_formal():
    sms = draft(ANGRY, "sms", elderly=True)
    email = draft(ANGRY, "email", elderly=True)
    assert all(len(segment) <= SMS_SEGMENT for segment in sms.segments)
    assert sms.text.startswith("【大白客服】")
    assert email.text.startswith("尊敬的王小明：")


def test_a_calm_question_gets_an_answer_gap_not_a_promise_to_investigate():
    result = draft("请问发票在哪里开？需要公司抬头的", "email")
    assert "【请补充答复】" in result.text
    assert "核对" not in result.text
