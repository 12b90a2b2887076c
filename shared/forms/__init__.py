"""Printable forms: the one-stop slips of Thông tư 01/2018/TT-VPCP and 03/2025/TT-VPCP, and
the fee receipt, as versioned data (``sets/*.yaml``) and one Jinja2 template per form
(``templates/``), rendered to HTML and to PDF (WeasyPrint). See docs/forms.md."""

from shared.forms.registry import (
    FormKey,
    FormsError,
    FormSet,
    FormSets,
    FormSpec,
    form_sets,
    payment_forms,
)
from shared.forms.render import (
    PDF,
    attachment_name,
    font_subsetter,
    money,
    qr_svg,
    render_html,
    render_pdf,
    vn_date,
    vn_datetime,
)

__all__ = ["PDF", "FormKey", "FormSet", "FormSets", "FormSpec", "FormsError",
           "attachment_name", "font_subsetter", "form_sets", "money", "payment_forms",
           "qr_svg", "render_html", "render_pdf", "vn_date", "vn_datetime"]
