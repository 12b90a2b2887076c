"""One Jinja2 template per form, rendered to HTML (the pages show it) and, by WeasyPrint, to
PDF from that same HTML.

WeasyPrint lays out HTML and CSS with Pango, so Vietnamese text is shaped by HarfBuzz and
printed in the fonts ``make fonts`` installs (DejaVu, Noto): one template for screen and
paper, and no second layout language to keep in step.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from shared.forms.registry import FormSet, FormSpec
from shared.reference.workdays import BUSINESS_TZ

PDF = "application/pdf"


def vn_date(value: date | datetime | None) -> str:
    """``ngày 02 tháng 12 năm 2026``, as Vietnamese administrative texts write dates."""
    if value is None:
        return "ngày … tháng … năm …"
    if isinstance(value, datetime):
        value = value.astimezone(BUSINESS_TZ).date()
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def vn_datetime(value: datetime) -> str:
    """``10 giờ 05 phút, ngày 02 tháng 12 năm 2026``, in Vietnam's time."""
    local = value.astimezone(BUSINESS_TZ)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {vn_date(local)}"


def short_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(BUSINESS_TZ)
    return f"{value:%d/%m/%Y}"


def money(value: Decimal | int) -> str:
    """``150.000 đồng``: dots between thousands, as Vietnamese amounts are printed."""
    return f"{int(value):,}".replace(",", ".") + " đồng"


def place_of(agency_name: str) -> str:
    """The place line's name, from the agency's: ``Ủy ban nhân dân huyện Vĩnh Thạnh, thành
    phố Cần Thơ`` → ``Vĩnh Thạnh``."""
    name = agency_name.split(",")[0].removeprefix("Ủy ban nhân dân").strip()
    for level in ("thị trấn ", "huyện ", "quận ", "thị xã ", "thành phố ", "phường ", "xã ",
                  "tỉnh ", "đặc khu "):
        if name.lower().startswith(level):
            return name[len(level):]
    return name


_env = Environment(loader=PackageLoader("shared.forms", "templates"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)
_env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime, short_date=short_date,
                    money=money)


def render_html(form_set: FormSet, form: FormSpec, data: Mapping[str, Any], *,
                agency_name: str, extra_head: str = "") -> str:
    """The form as a whole HTML document, NFC. ``data`` is the form's content; a field the
    template needs and ``data`` lacks fails here (StrictUndefined), not as a blank."""
    html = _env.get_template(form.template).render(
        form=form, form_set=form_set, agency_name=agency_name, place=place_of(agency_name),
        extra_head=Markup(extra_head), **data)  # noqa: S704 - our own markup (a QR SVG)
    return unicodedata.normalize("NFC", html)


_fonts = threading.local()


def render_pdf(html: str) -> bytes:
    """The PDF of a rendered form (blocking, CPU-bound: call it in a thread).

    Each thread keeps one WeasyPrint ``FontConfiguration`` for its PDFs instead of one per
    PDF (docs/benchmarks.md, change 4). One per thread, since WeasyPrint does not say it may be
    shared across threads. Most of a PDF's cost is embedding the fonts: see
    :func:`font_subsetter`."""
    from weasyprint import HTML  # Pango loads only where PDFs are made
    from weasyprint.text.fonts import FontConfiguration

    fonts = getattr(_fonts, "config", None)
    if fonts is None:
        fonts = _fonts.config = FontConfiguration()
    pdf: bytes = HTML(string=html).write_pdf(font_config=fonts)
    return pdf


def font_subsetter() -> str:
    """What WeasyPrint embeds fonts with: ``"harfbuzz"`` (HarfBuzz's subsetter, C) when
    Debian's ``libharfbuzz-subset0`` is there, else ``"fonttools"`` (pure Python), which
    costs ~4× the CPU per PDF: 320–365 ms instead of 77–92 ms per two-page receipt
    (docs/benchmarks.md, change 7). ``make fonts`` and the image install it; this is for a
    service that prints many forms to say at start-up when it is missing."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is not None and harfbuzz.hb_version_atleast(4, 1, 0):
        return "harfbuzz"
    return "fonttools"


def qr_svg(text: str) -> Markup:
    """A QR code of ``text`` as inline SVG (segno), for the receipt's tracking link: markup
    the templates insert as is (segno escapes nothing of ours into it but the encoded path)."""
    import segno

    svg: str = segno.make(text, error="m").svg_inline(scale=3, border=2)
    return Markup(svg)  # noqa: S704 - segno's own SVG


def attachment_name(form: FormSpec, code: str) -> str:
    return f"mau-{form.number or form.key}-{code}.pdf" if form.number else f"{form.key}-{code}.pdf"
