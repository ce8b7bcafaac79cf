"""A small, fixed help centre: the demo's articles and the set the relevance tests run against."""

import random

from django.db import transaction

from dabai.knowledge.models import Article, ArticleStatus, Category, Synonym
from dabai.knowledge.services import record_view, save_article, set_related

CATEGORIES = [
    ("orders", "订单与物流", "Orders and delivery"),
    ("refunds", "退款与售后", "Refunds and returns"),
    ("account", "账户与安全", "Account and security"),
    ("billing", "话费与账单", "Bills and charges"),
    ("network", "宽带与网络", "Broadband and network"),
]

# (slug, category, title, summary, body, tags)
ARTICLES = [
    (
        "track-delivery",
        "orders",
        "如何查询快递物流进度",
        "在“我的订单”里点开订单，即可看到快递公司、运单号和最新物流轨迹。",
        "登录后进入“我的订单”，点开对应订单，页面下方会显示快递公司、运单号和实时物流轨迹。"
        "如果超过48小时物流信息没有更新，可能是快递网点还没有扫描，请耐心等待或联系快递公司。",
        ["快递", "物流"],
    ),
    (
        "late-delivery",
        "orders",
        "包裹超时未送达怎么办",
        "超过承诺时效仍未收到包裹，可以申请催件，三天内仍未送达可申请赔付。",
        "如果订单超过承诺送达时间仍未收到包裹，请在订单页点击“催件”，我们会联系快递加急处理。"
        "催件后三天内仍未送达，可以申请延迟赔付，补偿会以优惠券形式发放。",
        ["快递", "延迟"],
    ),
    (
        "change-address",
        "orders",
        "下单后如何修改收货地址",
        "订单发货前可以在订单详情里修改收货地址，发货后需联系快递改派。",
        "订单在发货前，可以在订单详情页点击“修改地址”，填写新的收货人、电话和地址。"
        "已经发货的订单无法在线修改，请联系快递员改派，或拒收后重新下单。",
        ["地址"],
    ),
    (
        "refund-time",
        "refunds",
        "退款多久到账",
        "退款审核通过后，原路退回，银行卡一般3到7个工作日到账，支付宝和微信当天到账。",
        "退款申请审核通过后，款项会按原支付方式退回。微信和支付宝一般当天到账，"
        "银行卡需要3到7个工作日，信用卡以发卡行入账时间为准。超过时间仍未收到，请提供订单号联系客服查询。",
        ["退款", "到账"],
    ),
    (
        "apply-refund",
        "refunds",
        "如何申请退货退款",
        "收货后7天内，在订单页点击“申请售后”，选择退货退款并填写原因即可。",
        "签收后7天内，商品不影响二次销售的，可以无理由退货。在订单页点击“申请售后”，"
        "选择“退货退款”，填写原因并上传照片，审核通过后按页面提示寄回商品。",
        ["退款", "退货", "售后"],
    ),
    (
        "broken-item",
        "refunds",
        "收到的商品破损或有质量问题",
        "拍照上传破损部位申请售后，质量问题由我们承担来回运费。",
        "收到商品如果有破损、缺件或质量问题，请在签收后48小时内拍照，"
        "在订单页申请售后并上传照片。质量问题的退换货运费由我们承担，审核通过后优先处理换货或退款。",
        ["售后", "质量"],
    ),
    (
        "invoice",
        "refunds",
        "如何开具发票",
        "在订单详情点击“申请开票”，支持电子普通发票和增值税专用发票。",
        "订单完成后，在订单详情点击“申请开票”，填写抬头和税号，电子普通发票会在24小时内发送到邮箱。"
        "需要增值税专用发票的企业客户，请上传营业执照和开户信息。",
        ["发票"],
    ),
    (
        "reset-password",
        "account",
        "忘记密码怎么重置",
        "在登录页点击“忘记密码”，通过绑定的手机号接收验证码即可重置。",
        "在登录页点击“忘记密码”，输入绑定的手机号，收到短信验证码后设置新密码。"
        "如果手机号已经停用，请携带身份证到营业厅办理，或联系客服人工核验身份。",
        ["密码", "登录"],
    ),
    (
        "account-locked",
        "account",
        "账号被冻结或无法登录",
        "多次输错密码会临时冻结30分钟，异常登录会触发安全保护。",
        "连续5次输错密码，账号会被临时冻结30分钟，到时间后自动解冻。"
        "如果提示账号存在异常登录被安全保护，请通过手机验证码完成身份验证后修改密码。",
        ["登录", "安全"],
    ),
    (
        "change-phone",
        "account",
        "如何更换绑定手机号",
        "在“账户设置-安全中心”里验证旧手机号后即可更换新号码。",
        "进入“账户设置-安全中心-更换手机号”，先用旧手机号接收验证码完成验证，再输入新手机号并验证。"
        "旧号码已经无法接收短信的，可以选择人脸识别验证。",
        ["手机号", "安全"],
    ),
    (
        "bill-explained",
        "billing",
        "话费账单明细怎么看",
        "在营业厅App的“账单查询”里可以看到套餐费、流量费和增值业务费的明细。",
        "打开营业厅App，进入“账单查询”，选择月份即可看到当月的套餐费、超出流量费、通话费和增值业务费明细。"
        "对某一笔费用有疑问，可以点击该费用查看扣费时间和业务名称。",
        ["话费", "账单"],
    ),
    (
        "unknown-charge",
        "billing",
        "话费被多扣了或有不明扣费",
        "不明扣费多为增值业务，可以在App里查询并退订，核实误扣的费用会退还。",
        "如果发现话费多扣或有看不懂的扣费，多半是开通了增值业务。请在营业厅App的“已订业务”里查询并退订。"
        "核实为未经同意开通的业务，我们会退还相关费用。",
        ["话费", "扣费", "增值业务"],
    ),
    (
        "data-plan",
        "billing",
        "如何办理流量包和更换套餐",
        "在App的“套餐变更”里可以办理流量包，套餐变更下月生效。",
        "在营业厅App进入“套餐变更”，可以选择加装流量包（当月生效）或更换主套餐（次月1日生效）。"
        "合约期内的套餐可能无法降档，请以页面提示为准。",
        ["流量", "套餐"],
    ),
    (
        "broadband-down",
        "network",
        "宽带断网或网速慢怎么办",
        "先重启光猫和路由器，检查光信号灯，仍无法上网请在线报修。",
        "宽带无法上网时，请先关闭光猫和路由器电源，等待1分钟后重新开机。如果光猫的光信号灯亮红灯，"
        "说明线路故障，请在App里提交报修，维修师傅会在24小时内上门。网速慢可以先用网线直连电脑测速。",
        ["宽带", "网速", "报修"],
    ),
    (
        "no-signal",
        "network",
        "手机没有信号或无法打电话",
        "重启手机并检查是否欠费停机，仍然没有信号请提交网络投诉。",
        "手机没有信号时，请先重启手机、开关飞行模式，并确认号码没有欠费停机。"
        "如果同一位置长期信号差，请在App里提交网络质量投诉，我们会安排工程师优化基站覆盖。",
        ["信号", "网络"],
    ),
]

# (slug of the Chinese original, title, summary, body)
TRANSLATIONS = [
    (
        "refund-time",
        "How long does a refund take?",
        "Refunds go back to the original payment method: same day for WeChat Pay and Alipay, "
        "3-7 working days for bank cards.",
        "Once a refund is approved it goes back the way you paid. WeChat Pay and Alipay refunds "
        "usually arrive the same day; bank cards take 3 to 7 working days.",
    ),
    (
        "track-delivery",
        "How to track a delivery",
        "Open the order under My orders to see the courier, tracking number and latest status.",
        "Sign in, open My orders and select the order: the courier, the tracking number and the latest "
        "tracking events are shown at the bottom of the page.",
    ),
]

SYNONYMS = [
    "退款 退钱 退费",
    "快递 物流 包裹",
    "没到 没收到 未收到 未送达",
    "坏了 破损 损坏 质量问题",
    "密码 口令",
    "话费 电话费",
    "宽带 网络 wifi",
]
RELATED = [
    ("refund-time", "apply-refund"),
    ("track-delivery", "late-delivery"),
    ("bill-explained", "unknown-charge"),
]


@transaction.atomic
def load_help_centre() -> int:
    """Create the sample help centre unless it exists; returns the number of articles created."""
    if Article.objects.exists():
        return 0
    categories = {}
    for position, (slug, name, name_en) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": position}
        )
    for words in SYNONYMS:
        Synonym.objects.get_or_create(words=words)
    by_slug: dict[str, Article] = {}
    for slug, category, title, summary, body, tags in ARTICLES:
        article = save_article(
            actor=None,
            title=title,
            summary=summary,
            body=body,
            category=categories[category],
            tags=tags,
            status=ArticleStatus.PUBLISHED,
        )
        Article.objects.filter(pk=article.pk).update(slug=slug)
        article.slug = slug
        by_slug[slug] = article
    for slug, title, summary, body in TRANSLATIONS:
        original = by_slug[slug]
        translation = save_article(
            actor=None,
            title=title,
            summary=summary,
            body=body,
            category=original.category,
            language="en",
            translation_of=original,
            status=ArticleStatus.PUBLISHED,
        )
        Article.objects.filter(pk=translation.pk).update(slug=f"{slug}-en")
    for a, b in RELATED:
        set_related(by_slug[a], [by_slug[b]])
    return len(ARTICLES) + len(TRANSLATIONS)


# What customers read most in a month (the chat widget suggests the top ones first).
POPULAR = {"refund-time": 420, "track-delivery": 380, "broadband-down": 300, "reset-password": 260}


def seed_demo(world) -> None:
    """A month of help-centre reading: the popular articles above, a little for the rest (seeded)."""
    rng = random.Random(world.seed + 15)
    for article in Article.objects.filter(status=ArticleStatus.PUBLISHED, view_count=0).order_by("pk"):
        record_view(article, POPULAR.get(article.slug, rng.randint(5, 120)))
