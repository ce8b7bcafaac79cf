"""Starter canned replies for a new centre (centre-wide; supervisors edit or delete them)."""

from django.db import migrations

STARTER_MACROS = [
    ("物流催单", "{customer_name}您好，关于订单{order_number}，我已联系物流加急核实，2小时内给您回复最新进展。"),
    ("退款进度", "{customer_name}您好，订单{order_number}的退款已在处理中，一般1-3个工作日原路退回，请留意到账通知。"),
    ("转私信", "您好，您反映的问题我们已收到，已私信您，麻烦查看私信，我们会尽快为您处理。"),
    ("稍等核实", "您好，我是{agent_name}，麻烦您稍等，我马上为您核实。"),
    ("结束语", "感谢您的耐心，如有其他问题随时联系我们，祝您生活愉快！"),
]


def add_starters(apps, schema_editor):
    Macro = apps.get_model("replies", "Macro")
    for title, body in STARTER_MACROS:
        Macro.objects.get_or_create(title=title, team=None, owner=None, defaults={"body": body})


def remove_starters(apps, schema_editor):
    Macro = apps.get_model("replies", "Macro")
    Macro.objects.filter(title__in=[t for t, _ in STARTER_MACROS], team=None, owner=None).delete()


class Migration(migrations.Migration):
    dependencies = [("replies", "0001_initial")]
    operations = [migrations.RunPython(add_starters, remove_starters)]
