"""The outside probe's bad-input corpus, door by door: (id, door, body, content type, words to find if 2xx).

Each entry bends one thing of a well-formed delivery: size, nesting, encoding, NUL, lone surrogates, huge
numbers, impossible dates, wrong types, missing fields, path-traversal file names. Sequences (duplicates,
replays, stale timestamps) live in the tests themselves.
"""

import json

from .doors import (
    EMAIL,
    PHONE,
    SMS,
    WECHAT,
    WECHAT_SAFE,
    WEIBO,
    as_json,
    call,
    email,
    safe_envelope,
    sms,
    wechat_xml,
    weibo_item,
)

MAX_PAYLOAD = 256 * 1024  # the corpus runs with DABAI_MAX_PAYLOAD_BYTES at this size
OVERSIZED = MAX_PAYLOAD + 1
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
JSON_CT = "application/json"
MAIL_CT = "message/rfc822"


def _replace(data: dict, key: str, raw_json: bytes) -> bytes:
    """``data`` as JSON with ``key``'s value written as raw JSON text (for 1e400, NaN, lone surrogates)."""
    marker = "__RAW__"
    text = json.dumps({**data, key: marker}, ensure_ascii=False).encode()
    return text.replace(f'"{marker}"'.encode(), raw_json)


def _without(data: dict, key: str) -> bytes:
    return as_json({k: v for k, v in data.items() if k != key})


# Values that bend one field; (name, raw JSON).
HUGE_AND_ODD_NUMBERS = [
    ("1e400", b"1e400"),
    ("neg-1e400", b"-1e400"),
    ("NaN", b"NaN"),
    ("Infinity", b"Infinity"),
    ("int-400-digits", b"9" * 400),
    ("year-10000", b"253402300800"),
    ("negative", b"-100000000000000000000"),
    ("float", b"1.5"),
]
WRONG_TYPES = [
    ("null", b"null"),
    ("true", b"true"),
    ("list", b"[1, 2]"),
    ("object", b'{"a": 1}'),
    ("empty-string", b'""'),
    ("number", b"12345"),
]
HOSTILE_STRINGS = [
    ("nul", "前\u0000后".encode()),
    ("lone-surrogate", b'"\\ud800\\udbff"'),
    ("crlf", b'"a\\r\\nBcc: x@evil.test"'),
    ("bidi-and-zero-width", '"\u202e\u200b\ufeff话"'.encode()),
    ("impossible-date", b'"2026-13-45T25:61:00"'),
    ("traversal", b'"../../../etc/passwd"'),
    ("long-10k", json.dumps("长" * 10_000).encode()),
]
HOSTILE_STRINGS[0] = ("nul", json.dumps("前\u0000后").encode())

WHOLE_BODY = [
    ("empty", b""),
    ("null", b"null"),
    ("list", b"[]"),
    ("string", b'"hello"'),
    ("number", b"12345"),
    ("not-json", b"{not json"),
    ("deep-array", DEEP_JSON),
    ("deep-object", DEEP_OBJECT),
    ("invalid-utf8", b'{"from": "139\xff\xfe", "text": "\xc3\x28", "id": "x"}'),
    ("utf16", json.dumps({"from": "13900001111", "text": "十六位", "id": "u16"}).encode("utf-16")),
    ("bom-utf8", b"\xef\xbb\xbf" + as_json(sms(text="带BOM的话"))),
    (
        "latin1",
        json.dumps({"from": "13900001111", "text": "café", "id": "l1"}, ensure_ascii=False).encode("latin-1"),
    ),
    ("oversized", b'{"pad": "' + b"x" * OVERSIZED + b'"}'),
    ("nul-bytes", b"\x00" * 64),
]


def _sms_cases():
    base = sms()
    cases = [("sms-baseline", SMS, as_json(sms()), JSON_CT, "短信里的话")]
    for name, body in WHOLE_BODY:
        cases.append((f"sms-body-{name}", SMS, body, JSON_CT, "带BOM的话" if name == "bom-utf8" else None))
    for field in ("from", "text", "id"):
        cases.append((f"sms-missing-{field}", SMS, _without(sms(), field), JSON_CT, None))
    for field in ("from", "text", "id", "timestamp"):
        words = None if field == "text" else "短信里的话"
        for name, raw in HUGE_AND_ODD_NUMBERS + WRONG_TYPES + HOSTILE_STRINGS:
            if field == "from":
                words = None  # a sender that is not a phone number may be refused
            expected = words
            if field == "text" and name == "number":
                expected = "12345"
            if field == "text" and name == "long-10k":
                expected = "长" * 50
            if field == "text" and name == "bidi-and-zero-width":
                expected = "话"
            if field == "text" and name == "nul":
                expected = "后"
            cases.append(
                (
                    f"sms-{field}-{name}",
                    SMS,
                    _replace({**base, "id": f"{field}-{name}"}, field, raw),
                    JSON_CT,
                    expected,
                )
            )
    cases.append(
        (
            "sms-extra-20k-fields",
            SMS,
            as_json(sms(**{f"x{i}": "v" for i in range(20_000)})),
            JSON_CT,
            "短信里的话",
        )
    )
    cases.append(
        ("sms-form-encoded", SMS, b"from=13900001111&text=hi&id=1", "application/x-www-form-urlencoded", None)
    )
    return cases


def _phone_cases():
    cases = [("phone-baseline", PHONE, as_json(call()), JSON_CT, "电话里的话")]
    for name, body in WHOLE_BODY:
        if name == "bom-utf8":
            body = b"\xef\xbb\xbf" + as_json(call(transcript=[{"speaker": "customer", "text": "带BOM的话"}]))
        cases.append(
            (f"phone-body-{name}", PHONE, body, JSON_CT, "带BOM的话" if name == "bom-utf8" else None)
        )
    for field in ("call_id", "caller", "transcript"):
        cases.append((f"phone-missing-{field}", PHONE, _without(call(), field), JSON_CT, None))
    for field in ("duration", "started_at", "call_id", "caller", "transcript", "agent", "recording_url"):
        words = "电话里的话" if field in {"duration", "started_at", "agent", "recording_url"} else None
        for name, raw in HUGE_AND_ODD_NUMBERS + WRONG_TYPES + HOSTILE_STRINGS:
            cases.append((f"phone-{field}-{name}", PHONE, _replace(call(), field, raw), JSON_CT, words))
    turn = {"speaker": "customer", "text": "__T__", "start": 0}
    for name, raw in HUGE_AND_ODD_NUMBERS + WRONG_TYPES + HOSTILE_STRINGS:
        for key in ("text", "start", "speaker"):
            body = as_json(
                call(transcript=[{**turn, key: "__RAW__"}, {"speaker": "customer", "text": "第二句话"}])
            )
            body = body.replace(b'"__T__"', '"第一句话"'.encode()).replace(b'"__RAW__"', raw)
            cases.append((f"phone-turn-{key}-{name}", PHONE, body, JSON_CT, "第二句话"))
    cases += [
        (
            "phone-plain-transcript",
            PHONE,
            "客户：电话里的纯文本\n坐席：好的".encode(),
            "text/plain",
            "电话里的纯文本",
        ),
        ("phone-plain-gbk", PHONE, "客户：国标编码的电话".encode("gbk"), "text/plain", None),
        ("phone-plain-nul", PHONE, "客户：零\u0000字节的电话".encode(), "text/plain", "字节的电话"),
    ]
    return cases


def _weibo_push(*items, kind="statuses") -> bytes:
    return as_json({kind: list(items)})


def _weibo_cases():
    cases = [("weibo-baseline", WEIBO, _weibo_push(weibo_item()), JSON_CT, "微博上的话")]
    for name, body in WHOLE_BODY:
        if name == "bom-utf8":
            body = b"\xef\xbb\xbf" + _weibo_push(weibo_item(text="带BOM的话"))
        cases.append(
            (f"weibo-body-{name}", WEIBO, body, JSON_CT, "带BOM的话" if name == "bom-utf8" else None)
        )
    for kind in ("statuses", "comments", "direct_messages"):
        for name, raw in WRONG_TYPES + HUGE_AND_ODD_NUMBERS[:2]:
            cases.append(
                (f"weibo-{kind}-is-{name}", WEIBO, b'{"%s": %s}' % (kind.encode(), raw), JSON_CT, None)
            )
    for field in ("id", "text", "created_at", "user"):
        words = "微博上的话" if field == "created_at" else None
        for name, raw in HUGE_AND_ODD_NUMBERS + WRONG_TYPES + HOSTILE_STRINGS:
            item = _replace(weibo_item(), field, raw)
            cases.append((f"weibo-{field}-{name}", WEIBO, b'{"statuses": [' + item + b"]}", JSON_CT, words))
    for name, raw in WRONG_TYPES + HOSTILE_STRINGS:
        user = _replace({"id": 7}, "screen_name", raw)
        item = _replace(weibo_item(), "user", user)
        cases.append(
            (f"weibo-screen-name-{name}", WEIBO, b'{"statuses": [' + item + b"]}", JSON_CT, "微博上的话")
        )
    many = [weibo_item(id=10**9 + i, text=f"批量第{i}条") for i in range(300)]
    cases.append(("weibo-300-items", WEIBO, _weibo_push(*many), JSON_CT, "批量第299条"))
    mixed = [weibo_item(text="好的一条"), {"id": "x"}, 5, None, weibo_item(user=[1])]
    cases.append(("weibo-good-item-among-junk", WEIBO, _weibo_push(*mixed), JSON_CT, "好的一条"))
    dm = {"id": 555, "text": "私信里的话", "sender": {"id": 9, "screen_name": "私信人"}}
    cases.append(
        ("weibo-direct-message", WEIBO, _weibo_push(dm, kind="direct_messages"), JSON_CT, "私信里的话")
    )
    return cases


def _deep_multipart(depth: int) -> bytes:
    head = "From: li@example.cn\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + opening + "Content-Type: text/plain\r\n\r\n深处的话\r\n" + closing).encode()


def _email_cases():
    words = "邮件里的话"
    cases = [("email-baseline", EMAIL, email(), MAIL_CT, words)]
    names = {
        "dotdot": 'attachment; filename="../x"',
        "absolute": 'attachment; filename="/etc/passwd"',
        "rfc2231-encoded-slash": "attachment; filename*=utf-8''..%2F..%2Fevil.txt",
        "backslashes": 'attachment; filename="..\\\\..\\\\boot.ini"',
        "only-dots": 'attachment; filename=".."',
        "nul": 'attachment; filename="a\x00b.txt"',
        "html": 'attachment; filename="evil.html"',
        "script-name": 'attachment; filename="<script>alert(1)</script>.txt"',
        "very-long": f'attachment; filename="{"长" * 400}.txt"',
        "windows-device": 'attachment; filename="CON"',
        "empty": 'attachment; filename=""',
        "rfc2231-bad-charset": "attachment; filename*=x-nope''%FF%FE.txt",
        "rfc2231-continuations": "attachment; filename*0*=utf-8''..%2F; filename*1=etc; filename*2=/passwd",
    }
    for name, header in names.items():
        cases.append((f"email-attachment-{name}", EMAIL, email(attachment_header=header), MAIL_CT, words))
    hostile_text = {
        "script": "<script>alert(1)</script>",
        "crlf": "a\r\nBcc: x@evil.test",
        "nul": "前\x00后",
        "long-5k": "长" * 5000,
        "bidi": "\u202e\u200b",
    }
    for name, value in hostile_text.items():
        cases.append((f"email-subject-{name}", EMAIL, email(subject=value), MAIL_CT, words))
        cases.append((f"email-from-name-{name}", EMAIL, email(from_name=value), MAIL_CT, words))
    raw = email().decode()
    cases += [
        ("email-deep-multipart-2000", EMAIL, _deep_multipart(2000), MAIL_CT, None),
        ("email-deep-multipart-40", EMAIL, _deep_multipart(40), MAIL_CT, "深处的话"),
        (
            "email-encoded-word-crlf-from",
            EMAIL,
            b"From: =?utf-8?q?a=0D=0AFrom=3A_v=40evil=2Etest?= <li@example.cn>\r\nSubject: x\r\n\r\n"
            + "邮件里的话".encode(),
            MAIL_CT,
            words,
        ),
        (
            "email-raw-8bit-headers",
            EMAIL,
            "From: 李女士 <li@example.cn>\r\nSubject: 八位的主题\r\n\r\n邮件里的话".encode(),
            MAIL_CT,
            words,
        ),
        ("email-no-from", EMAIL, "Subject: x\r\n\r\n邮件里的话".encode(), MAIL_CT, None),
        (
            "email-garbage-from",
            EMAIL,
            "From: <<<>>>@@@\r\nSubject: x\r\n\r\n邮件里的话".encode(),
            MAIL_CT,
            None,
        ),
        ("email-empty", EMAIL, b"", MAIL_CT, None),
        ("email-binary", EMAIL, bytes(range(256)) * 4, MAIL_CT, None),
        (
            "email-unknown-charset",
            EMAIL,
            b"From: li@example.cn\r\nSubject: x\r\n"
            b'Content-Type: text/plain; charset="x-nope"\r\n\r\n\xff\xfe words',
            MAIL_CT,
            "words",
        ),
        (
            "email-broken-base64",
            EMAIL,
            b"From: li@example.cn\r\nSubject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64===",
            MAIL_CT,
            None,
        ),
        ("email-oversized", EMAIL, raw.encode() + b"x" * OVERSIZED, MAIL_CT, None),
        (
            "email-huge-header",
            EMAIL,
            b"From: li@example.cn\r\nX-Pad: "
            + b"a" * 100_000
            + b"\r\nSubject: x\r\n\r\n"
            + "邮件里的话".encode(),
            MAIL_CT,
            words,
        ),
        (
            "email-impossible-date",
            EMAIL,
            b"From: li@example.cn\r\nDate: Mon, 45 Foo 99999 25:61:00 +9999\r\nSubject: x\r\n\r\n"
            + "邮件里的话".encode(),
            MAIL_CT,
            words,
        ),
    ]
    return cases


DEEP_XML = ("<xml>" + "<a>" * 50_000 + "</a>" * 50_000 + "</xml>").encode()
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]><xml><ToUserName>gh</ToUserName><FromUserName>oProbe</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"
).encode()
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><ToUserName>gh</ToUserName><FromUserName>oProbe</FromUserName><CreateTime>1</CreateTime>"
    b"<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"
)


def _wechat_bodies():
    words = "微信里的话"
    return [
        ("baseline", wechat_xml().encode(), words),
        ("createtime-abc", wechat_xml(create_time="abc").encode(), words),
        ("createtime-huge", wechat_xml(create_time="99999999999999").encode(), words),
        ("createtime-negative", wechat_xml(create_time="-99999999999").encode(), words),
        ("msgid-huge", wechat_xml(msg_id="9" * 400).encode(), words),
        ("msgid-text", wechat_xml(msg_id="abc").encode(), words),
        ("openid-long", wechat_xml(openid="o" * 5000).encode(), None),
        ("openid-empty", wechat_xml(openid="").encode(), None),
        ("content-empty", wechat_xml(content="").encode(), None),
        (
            "content-script",
            wechat_xml(content="<script>alert(1)</script>").encode(),
            "<script>alert(1)</script>",
        ),
        ("content-long", wechat_xml(content="长" * 20_000).encode(), "长" * 50),
        (
            "gbk",
            b'<?xml version="1.0" encoding="GBK"?>' + wechat_xml(content="国标编码的话").encode("gbk"),
            "国标编码的话",
        ),
        (
            "shift-jis",
            b"<?xml version='1.0' encoding='Shift_JIS'?>"
            + wechat_xml(content="日本語の話").encode("shift_jis"),
            "日本語の話",
        ),
        ("unknown-encoding", b'<?xml version="1.0" encoding="x-nope"?>' + wechat_xml().encode(), None),
        (
            "utf8-declared-latin1-bytes",
            b'<?xml version="1.0" encoding="utf-8"?>' + wechat_xml(content="café").encode("latin-1"),
            None,
        ),
        ("nul-char", wechat_xml(content="零\x00字节").encode(), None),
        ("lone-surrogate-ref", wechat_xml().replace("微信里的话", "&#xD800;微信").encode(), None),
        ("deep-xml", DEEP_XML, None),
        ("billion-laughs", BILLION_LAUGHS, None),
        ("xxe", XXE, None),
        ("not-xml", b"{not xml", None),
        ("empty", b"", None),
        ("json-body", as_json(sms()), None),
        ("missing-msgtype", wechat_xml().replace("<MsgType><![CDATA[text]]></MsgType>", "").encode(), None),
        ("unknown-msgtype", wechat_xml().replace("[text]", "[hologram]").encode(), None),
        (
            "missing-from",
            wechat_xml().replace("<FromUserName><![CDATA[oProbe]]></FromUserName>", "").encode(),
            None,
        ),
        ("oversized", wechat_xml(content="x" * OVERSIZED).encode(), None),
    ]


def _wechat_cases():
    cases = [(f"wechat-{name}", WECHAT, body, "text/xml", words) for name, body, words in _wechat_bodies()]
    for name, body, words in _wechat_bodies():
        if name in {"oversized", "deep-xml"}:
            continue
        envelope, _ = safe_envelope(body)
        cases.append((f"wechat-safe-{name}", WECHAT_SAFE, envelope, "text/xml", words))
    cases += [
        (
            "wechat-safe-garbage-ciphertext",
            WECHAT_SAFE,
            b"<xml><Encrypt><![CDATA[!!notbase64]]></Encrypt></xml>",
            "text/xml",
            None,
        ),
        (
            "wechat-safe-short-ciphertext",
            WECHAT_SAFE,
            b"<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>",
            "text/xml",
            None,
        ),
        (
            "wechat-safe-missing-encrypt",
            WECHAT_SAFE,
            b"<xml><ToUserName>gh</ToUserName></xml>",
            "text/xml",
            None,
        ),
        ("wechat-safe-plaintext-body", WECHAT_SAFE, wechat_xml().encode(), "text/xml", None),
    ]
    return cases


CORPUS = _sms_cases() + _phone_cases() + _weibo_cases() + _email_cases() + _wechat_cases()
