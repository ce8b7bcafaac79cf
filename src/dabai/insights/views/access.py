from django.core.exceptions import PermissionDenied

from dabai.accounts.permissions import is_voc_editor, is_voc_reader


def require_voc_reader(user) -> None:
    if not is_voc_reader(user):
        raise PermissionDenied


def require_voc_editor(user) -> None:
    if not is_voc_editor(user):
        raise PermissionDenied
