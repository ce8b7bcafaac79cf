"""Completion certificates: a PDF with a Chinese font, a verification code and a QR to the public check.

Built with ``fpdf2`` (never by hand) in A4 landscape; the font is Debian's WenQuanYi Micro Hei unless
``DABAI_CJK_FONT`` names another. The code is random (not derived from the person), stored once, and the
public page shows only name, programme and date for a valid code.
"""

import io
import secrets
from pathlib import Path

import segno
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.programs import conf
from dabai.programs.models import Registration, RegStatus

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
CODE_LENGTH = 10


class CertificateError(ValueError):
    """A certificate cannot be issued or printed; the message says why."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verification_url(code: str) -> str:
    return conf.public_url() + reverse("programs:verify_code", args=[code])


def issue(registration: Registration, *, actor: User) -> Registration:
    """Give an attendee their certificate code (once; issuing again keeps the first code)."""
    if registration.status != RegStatus.ATTENDED:
        raise CertificateError(_("only people who attended receive a certificate"))
    if registration.certificate_code:
        return registration
    for _attempt in range(5):
        try:
            updated = Registration.objects.filter(pk=registration.pk, certificate_code__isnull=True).update(
                certificate_code=new_code(), certificate_issued_at=timezone.now()
            )
            break
        except IntegrityError:  # the same random code twice: draw again
            continue
    else:
        raise CertificateError(_("could not draw a unique code"))
    registration.refresh_from_db()
    if updated:
        record_audit(actor, "programs.certificate_issued", registration)
    return registration


def issue_all(session, *, actor: User) -> int:
    attendees = Registration.objects.filter(
        session=session, status=RegStatus.ATTENDED, certificate_code__isnull=True
    )
    return sum(1 for r in attendees if issue(r, actor=actor).certificate_code)


def verify(code: str) -> Registration | None:
    """The certificate with this code, or None (a forged or mistyped code is simply not valid)."""
    code = code.strip().upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return (
        Registration.objects.select_related("session__programme")
        .filter(certificate_code=code, status=RegStatus.ATTENDED)
        .first()
    )


def font_path() -> Path:
    path = Path(conf.cjk_font())
    if not path.is_file():
        raise CertificateError(
            f"the Chinese font {path} is missing: "
            "install fonts-wqy-microhei or set DABAI_CJK_FONT to a .ttf/.ttc"
        )
    return path


def render_pdf(registration: Registration) -> bytes:
    """The certificate as PDF bytes (A4 landscape)."""
    if not registration.certificate_code:
        raise CertificateError(_("no certificate has been issued for this registration"))
    session = registration.session
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"结业证书 {registration.name}")
    pdf.set_author("大白客户服务中心")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", str(font_path()))
    pdf.add_page()
    pdf.set_draw_color(180, 40, 40)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_font("cjk", size=34)
    pdf.set_y(32)
    pdf.cell(0, 16, "结业证书", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, "Certificate of completion", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("cjk", size=28)
    pdf.cell(0, 16, registration.name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=15)
    day = timezone.localtime(session.starts_at).strftime("%Y年%m月%d日")
    pdf.multi_cell(
        0,
        9,
        f"于{day}参加了{session.programme.name}“{session.title}”，完成课堂培训、实时观摩与讨论，特发此证。",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    url = verification_url(registration.certificate_code)
    qr = segno.make(url, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=4, border=1)
    pdf.image(png, x=235, y=140, w=40, h=40)
    pdf.set_font("cjk", size=11)
    pdf.set_xy(20, 160)
    pdf.cell(
        0, 7, f"验证码 Verification code：{registration.certificate_code}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_x(20)
    pdf.cell(0, 7, f"验证 Verify：{url}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.cell(0, 7, f"大白客户服务中心 · {day}")
    return bytes(pdf.output())
