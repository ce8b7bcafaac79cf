"""One writer: only ``dabai.conversations.services`` creates conversations, messages and insights and moves
their counters; every other app (the demo, the portal, knowledge, the importer) calls it.

The source tree is read as Python (``ast``), not grepped: a write is found however it is spelt (through a
queryset chain, a related manager, a model instance, ``bulk_update`` or ``dabai.core.bulk``) and
a comment or a string that mentions one is not. Outside the writer, a conversation's or message's columns are
written only where another app owns them (``OWNED_ELSEWHERE``): routing assigns, a customer merge moves
conversations, a channel records a reply's delivery. Migrations, tests and the test factories are not
application code and are not read.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import dabai

SRC = Path(dabai.__file__).parent
MODELS = {"Conversation", "Message", "Insight"}
MODELS_MODULE = "dabai.conversations.models"
RELATED_MANAGERS = {"conversations", "messages", "assigned_conversations"}
CREATING = {"create", "bulk_create", "get_or_create", "update_or_create"}
UPDATING = {"update", "bulk_update"}

# Columns another app owns and writes itself, by the app's folder (never a counter).
OWNED_ELSEWHERE = {
    "routing": {"assignee", "team"},
    "customers": {"customer"},
    "channels": {"delivery_status"},
}

# Exceptions while a module moves onto the writer (none left: the bulk importer goes through
# ``record_history`` and ``append_history``); ``test_the_temporary_exceptions_are_still_needed`` keeps
# this list honest.
TEMPORARY: set[str] = set()


def is_writer(relative: str) -> bool:
    return relative == "conversations/services.py" or relative.startswith("conversations/services/")


def is_application_code(relative: str) -> bool:
    parts = relative.split("/")
    return not ({"migrations", "tests"} & set(parts)) and parts[-1] not in {"conftest.py", "testing.py"}


class Writes(ast.NodeVisitor):
    """Finds the writes to conversations, messages and insights in one module: (line, what) pairs."""

    def __init__(self, app: str) -> None:
        self.owned = OWNED_ELSEWHERE.get(app, set())
        self.names: set[str] = set()  # what the models are imported as
        self.modules: set[str] = set()  # what dabai.conversations.models is imported as
        self.instances: set[str] = set()  # variables known to hold one of the models
        self.found: list[tuple[int, str]] = []

    # Which names mean a model, or an instance of one.

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if node.module == MODELS_MODULE and alias.name in MODELS:
                self.names.add(alias.asname or alias.name)
            if node.module == "dabai.conversations" and alias.name == "models":
                self.modules.add(alias.asname or alias.name)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == MODELS_MODULE and alias.asname:
                self.modules.add(alias.asname)

    def model(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name) and node.id in self.names:
            return node.id
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.modules
        ):
            return node.attr if node.attr in MODELS else None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a string annotation
            try:
                return self.model(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp):  # Conversation | None
            return self.model(node.left) or self.model(node.right)
        return None

    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None and self.model(node.annotation):
            self.instances.add(node.arg)

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.rooted_in_model(node.value):
            self.instances.update(t.id for t in node.targets if isinstance(t, ast.Name))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and self.model(node.annotation):
            self.instances.add(node.target.id)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if isinstance(node.target, ast.Name) and self.rooted_in_model(node.iter):
            self.instances.add(node.target.id)
        self.generic_visit(node)

    def chain(self, node: ast.expr) -> Iterator[ast.expr]:
        """``Conversation.objects.filter(…).first()`` from the outside in: every receiver down to the root."""
        while True:
            yield node
            if isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Attribute) and not self.model(node):
                node = node.value
            else:
                return

    def rooted_in_model(self, node: ast.expr) -> bool:
        return any(self.model(link) for link in self.chain(node))

    # The writes.

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        created = self.model(func)
        if created and not any(k.arg in {"pk", "id"} for k in node.keywords):
            self.report(node, f"builds a {created} to store")
        if isinstance(func, ast.Name) and func.id == "update_rows" and node.args and self.model(node.args[0]):
            self.check_fields(node, node.args[1] if len(node.args) > 1 else None, "update_rows")
        if isinstance(func, ast.Name) and func.id == "insert_rows" and node.args and self.model(node.args[0]):
            self.report(node, "insert_rows()")
        if not isinstance(func, ast.Attribute):
            return
        receiver = func.value
        if func.attr in CREATING | UPDATING and self.on_model(receiver):
            if func.attr in CREATING:
                self.report(node, f"{func.attr}()")
            elif func.attr == "update":
                self.check_keywords(node)
            else:
                fields = node.args[1] if len(node.args) > 1 else keyword(node, "fields")
                self.check_fields(node, fields, "bulk_update()")
        if func.attr == "save" and isinstance(receiver, ast.Name) and receiver.id in self.instances:
            self.check_fields(node, keyword(node, "update_fields"), "save()")

    def on_model(self, receiver: ast.expr) -> bool:
        """A manager or queryset of one of the models, or a related manager (``customer.conversations``)."""
        if self.rooted_in_model(receiver):
            return True
        return any(
            isinstance(link, ast.Attribute) and link.attr in RELATED_MANAGERS for link in self.chain(receiver)
        )

    def check_keywords(self, node: ast.Call) -> None:
        names = {k.arg for k in node.keywords}
        if None in names:
            self.report(node, "update(**…) of fields that cannot be read")
        elif not names <= self.owned:
            self.report(node, f"update() of {sorted(names - self.owned)}")

    def check_fields(self, node: ast.Call, fields: ast.expr | None, what: str) -> None:
        if not isinstance(fields, ast.List | ast.Tuple | ast.Set):
            self.report(node, f"{what} of fields that cannot be read")
            return
        names = {e.value if isinstance(e, ast.Constant) else None for e in fields.elts}
        if None in names or not names <= self.owned:
            self.report(node, f"{what} of {sorted(str(n) for n in names - self.owned)}")

    def report(self, node: ast.AST, what: str) -> None:
        self.found.append((node.lineno, what))


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def writes_in(source: str, app: str) -> list[tuple[int, str]]:
    visitor = Writes(app)
    visitor.visit(ast.parse(source))
    return visitor.found


def writes_outside_the_writer() -> dict[str, list[tuple[int, str]]]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if is_writer(relative) or not is_application_code(relative):
            continue
        writes = writes_in(path.read_text(encoding="utf-8"), relative.split("/")[0])
        if writes:
            found[relative] = writes
    return found


def test_only_conversations_services_writes_conversations_messages_and_insights():
    found = {path: writes for path, writes in writes_outside_the_writer().items() if path not in TEMPORARY}
    assert found == {}, "call dabai.conversations.services instead (see this module's docstring)"


def test_the_temporary_exceptions_are_still_needed():
    assert set(writes_outside_the_writer()) >= TEMPORARY, (
        "remove the entries that no longer write from TEMPORARY"
    )


def test_the_check_finds_writes_however_they_are_spelt():
    source = """
from dabai.conversations.models import Conversation, Message as M
from dabai.conversations import models as cm
from dabai.core.bulk import insert_rows, update_rows

def f(conversation: Conversation, message: "M | None", customer, rows, fields):
    Conversation.objects.create(customer=customer)
    cm.Insight.objects.bulk_create([])
    M(body="hi")
    customer.conversations.get_or_create(channel="sms")
    Conversation.objects.filter(pk=1).update(message_count=2)
    M.objects.filter(pk=1).update(**fields)
    Conversation.objects.bulk_update([], ["preview"])
    update_rows(Conversation, ["last_message_at"], rows)
    conversation.save()
    message.save(update_fields=["body"])
    found = Conversation.objects.filter(pk=1).first()
    found.save(update_fields=["status"])
    for each in cm.Conversation.objects.all():
        each.save()
    insert_rows(cm.Message, [])
"""
    expected = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 21]
    assert [line for line, _ in writes_in(source, "portal")] == expected


def test_the_check_leaves_reads_and_columns_other_apps_own_alone():
    source = """
from dabai.conversations.models import Conversation, Message
from dabai.core.bulk import update_rows

def f(conversation: Conversation, rows, other):
    Conversation.objects.filter(pk=1).update(assignee=None)
    Conversation.objects.bulk_update([Conversation(pk=1, assignee_id=2)], ["assignee"])
    update_rows(Conversation, ["assignee", "team"], rows)
    Message.objects.filter(pk=1).exists()
    other.save()
    other.objects.create(name="not a conversation")
    # Conversation.objects.create(...) in a comment is not a write
"""
    assert writes_in(source, "routing") == []
