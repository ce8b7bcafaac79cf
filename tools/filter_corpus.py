"""Generate the dabai filter corpus: data/filter/train.jsonl and data/filter/test.jsonl.

Usage: python tools/filter_corpus.py [--out data/filter] [--seed 20241125]

Messages are assembled from hand-written phrasings (tools/filter_corpus_fragments.py): an optional greeting
and form of address, a core phrasing (intent x voice), optional emotion / urgency / escalation tails, and
channel habits (Weibo @-mentions, hotline fillers, WeChat emoji, e-mail salutations).  Some are rendered in
traditional script (OpenCC s2t), some are English, some are spam or noise.  Every pool of phrasings is split
by position (index % 4 == 3 → test), so the held-out file uses phrasings never seen in training.
Labels are decided by what was assembled, never by running the filter.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import filter_corpus_fragments as F

CHANNELS = ["email", "chat", "sms", "phone", "weibo", "wechat"]
PRODUCTS = [
    "手机",
    "耳机",
    "冰箱",
    "洗衣机",
    "空调",
    "路由器",
    "笔记本电脑",
    "电视",
    "充电宝",
    "热水器",
    "扫地机",
    "手表",
]
PRODUCTS_EN = ["phone", "headphones", "fridge", "router", "laptop", "TV", "charger", "watch"]
DURATIONS = ["三天", "一个星期", "半个月", "5天", "两周", "十几天", "一个多月", "两天"]
DURATIONS_EN = ["3 days", "a week", "two weeks", "10 days"]
DATES = ["11月20日", "周五", "明天", "下周一", "12月1号", "月底", "后天"]
SUSPICIOUS_URLS = [
    "http://t.cn/A6xYz9",
    "http://bit.ly/3kP0q",
    "www.jz-888.top",
    "http://kf-verify.xyz/login",
    "https://secure-icbc.vip/auth",
    "http://45.77.12.9/pay",
]


def part(pool: list, split: str) -> list:
    """Phrasings of one split: every fourth goes to test."""
    return [x for i, x in enumerate(pool) if (i % 4 == 3) == (split == "test")]


class Maker:
    """Assembles one message at a time from the phrasings of one split."""

    def __init__(self, split: str, rng: random.Random):
        self.split = split
        self.rng = rng
        import opencc

        self.s2t = opencc.OpenCC("s2t.json")

    def pick(self, pool: list):
        return self.rng.choice(part(pool, self.split))

    def money(self) -> str:
        r = self.rng
        n = r.choice([19, 29, 50, 88, 99, 128, 199, 300, 599, 1280])
        return r.choice([f"¥{n}", f"{n}元", f"{n}块钱", "五十块", "两百块", f"{n}块"])

    def fill(self, text: str, english: bool = False) -> str:
        r = self.rng
        slots = {
            "p": r.choice(PRODUCTS_EN if english else PRODUCTS),
            "d": r.choice(DURATIONS_EN if english else DURATIONS),
            "m": f"${r.choice([20, 49, 99])}" if english else self.money(),
            "o": str(r.randint(10**15, 10**19 - 1)),
            "t": r.choice(["SF", "YT", "JT"]) + str(r.randint(10**12, 10**13 - 1)),
            "dt": r.choice(DATES),
            "ph": "1" + r.choice("3578") + str(r.randint(10**8, 10**9 - 1)),
            "wx": r.choice(["wx", "vx", "jz", "kk"]) + str(r.randint(1000, 99999)),
            "url": r.choice(SUSPICIOUS_URLS),
        }
        return text.format(**slots)

    def spam(self) -> dict:
        text, reason = self.pick(F.SPAM)
        channel = self.rng.choice(["sms", "weibo", "wechat", "email", "chat"])
        text = self.fill(text)
        if channel == "weibo" and reason != "gibberish" and self.rng.random() < 0.5:
            text = self.rng.choice(F.WEIBO_HANDLES) + " " + text
        return {
            "channel": channel,
            "text": text,
            "script": "english" if text.isascii() else "simplified",
            "sentiment": "neutral",
            "emotions": [],
            "intent": None,
            "voice": None,
            "escalation": False,
            "spam": True,
            "spam_reason": reason,
            "urgency": "low",
            "address_form": None,
        }

    def message(self) -> dict:
        r = self.rng
        roll = r.random()
        if roll < 0.11:
            return self.spam()
        english = roll > 0.92
        channel = r.choice(CHANNELS)
        if roll < 0.15:
            core, voice = self.pick(F.OTHER)
            intent = "other"
        elif english:
            intent = r.choice(list(F.ENGLISH))
            core, voice = self.pick(F.ENGLISH[intent])
        else:
            intent = r.choice(list(F.CORE))
            voice = r.choices(
                ["complaint", "question", "request", "suggestion", "praise"], [32, 25, 22, 9, 12]
            )[0]
            core = self.pick(F.CORE[intent][voice])
        core = self.fill(core, english)
        emotions: list[str] = []
        tails: list[str] = []
        escalation = fraud = vulnerable = repeat = False
        if voice in ("complaint", "request") and not english and intent != "other":
            if intent in ("billing", "account") and r.random() < 0.08:
                tails.append(self.fill(self.pick(F.URGENCY_FRAUD)))
                fraud = True
            if r.random() < 0.1:
                tails.append(self.pick(F.URGENCY_VULNERABLE))
                vulnerable = True
            if r.random() < 0.12:
                tails.append(self.pick(F.URGENCY_REPEAT))
                repeat = True
        if not english:
            if voice == "complaint" and r.random() < 0.55:
                emo = r.choices(["anger", "anxiety", "disappointment"], [4, 3, 3])[0]
                tails.append(self.pick(F.EMOTION_TAILS[emo]))
                emotions.append(emo)
            elif voice == "question" and r.random() < 0.37:
                emo = "confusion" if r.random() < 0.66 else "anxiety"
                tails.append(self.pick(F.EMOTION_TAILS[emo]))
                emotions.append(emo)
            elif voice == "request" and r.random() < 0.25:
                tails.append(self.pick(F.EMOTION_TAILS["anxiety"]))
                emotions.append("anxiety")
            esc_p = {"complaint": 0.24, "request": 0.08, "question": 0.03}.get(voice, 0)
            if intent != "other" and r.random() < esc_p:
                tails.append(self.pick(F.ESCALATION_TAILS))
                escalation = True
            if voice == "praise":
                if r.random() < 0.5:
                    tails.append(self.pick(F.SATISFACTION_TAILS))
                if r.random() < 0.4:
                    tails.append(self.pick(F.GRATITUDE_TAILS))
                    emotions.append("gratitude")
                emotions.append("satisfaction")
            elif voice in ("question", "request") and r.random() < 0.2:
                tails.append(self.pick(F.GRATITUDE_TAILS))
                emotions.append("gratitude")
        else:
            if voice == "complaint" and r.random() < 0.3:
                tails.append(self.pick(F.ESCALATION_TAILS_EN))
                escalation = True
            if voice == "praise":
                emotions.append("satisfaction")
        sep = ". " if english else "，"
        body = core.rstrip("。") if not tails else core.rstrip("。！？?!")
        text = sep.join([body, *tails]) if tails else body
        address = None
        if not english and r.random() < 0.3:
            term, register = r.choice(F.ADDRESS_TERMS)
            address = {"term": term, "register": register}
            text = term + "，" + text
        if not english and r.random() < 0.3:
            text = r.choice(F.GREETINGS) + text
        if channel == "phone" and not english and r.random() < 0.7:
            text = r.choice(F.FILLERS) + text.replace("，", "，" + r.choice(F.FILLERS), 1)
        elif channel == "weibo" and r.random() < 0.7:
            text = r.choice(F.WEIBO_HANDLES) + " " + text
        elif channel == "wechat" and r.random() < 0.4:
            text = text + r.choice(F.WECHAT_EMOJI)
        elif channel == "email" and not english and r.random() < 0.5:
            text = "您好：\n" + text + "。\n此致"
        script = "english" if english else "simplified"
        if not english and r.random() < 0.15:
            text = self.s2t.convert(text)
            script = "traditional"
        negative = (
            voice == "complaint"
            or escalation
            or fraud
            or repeat
            or bool({"anger", "anxiety", "disappointment"} & set(emotions))
        )
        sentiment = "positive" if voice == "praise" else "negative" if negative else "neutral"
        if fraud or (vulnerable and intent == "outage"):
            urgency = "critical"
        elif (
            vulnerable
            or repeat
            or escalation
            or "anger" in emotions
            or (intent == "outage" and voice == "complaint")
        ):
            urgency = "high"
        elif voice in ("praise", "suggestion"):
            urgency = "low"
        else:
            urgency = "normal"
        return {
            "channel": channel,
            "text": text,
            "script": script,
            "sentiment": sentiment,
            "emotions": sorted(set(emotions)),
            "intent": intent,
            "voice": voice,
            "escalation": escalation,
            "spam": False,
            "spam_reason": None,
            "urgency": urgency,
            "address_form": address,
        }


def generate(split: str, n: int, seed: int, avoid: set[str]) -> list[dict]:
    rng = random.Random(f"{seed}-{split}")
    maker = Maker(split, rng)
    seen = set(avoid)
    out: list[dict] = []
    while len(out) < n:
        m = maker.message()
        if m["text"] in seen:
            continue
        seen.add(m["text"])
        out.append({"id": f"{split}-{len(out) + 1:05d}", **m})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="data/filter")
    ap.add_argument("--seed", type=int, default=20241125)
    ap.add_argument("--train", type=int, default=3200)
    ap.add_argument("--test", type=int, default=1000)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train = generate("train", args.train, args.seed, set())
    test = generate("test", args.test, args.seed, {m["text"] for m in train})
    for name, rows in (("train", train), ("test", test)):
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} messages → {out / (name + '.jsonl')}")


if __name__ == "__main__":
    main()
