"""An action's form, read into the API's own command (schemas.OfficerCommand), with every
complaint in Vietnamese next to the field it is about. The rules stay where they are: the
command models check the content's shape, the domain its dates and targets; this module
only translates their answers for an officer."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData, UploadFile

from services.processing.domain.errors import DateOutOfBounds, InvalidAction
from services.processing.domain.result_file import MAX_BYTES
from services.processing.schemas import OfficerCommand

COMMAND: TypeAdapter[Any] = TypeAdapter(OfficerCommand)
# The kinds of result document an approval may carry, told by their first bytes.
SIGNATURES = {"application/pdf": (b"%PDF-",), "image/jpeg": (b"\xff\xd8\xff",),
              "image/png": (b"\x89PNG\r\n\x1a\n",)}
TEXT_FIELDS = ("reason", "deadline", "proposed_outcome", "to_department", "new_due_date")


@dataclass
class Filled:
    """What the officer sent, to show again beside the complaints when the form is refused."""

    action: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    command: Any = None


def _date_text(day: date) -> str:
    return f"{day:%d/%m/%Y}"


_BY_FIELD = {
    "reason": "Vui lòng nhập lý do.",
    "missing": "Vui lòng nêu giấy tờ cần bổ sung, mỗi dòng một giấy tờ.",
    "deadline": "Ngày không hợp lệ.",
    "new_due_date": "Vui lòng chọn ngày hẹn trả kết quả mới.",
    "proposed_outcome": "Vui lòng chọn đề xuất: chấp thuận hoặc từ chối.",
    "to_department": "Vui lòng chọn phòng chuyên môn nhận hồ sơ.",
    "result_document": "Vui lòng đính kèm văn bản kết quả (PDF, JPEG hoặc PNG).",
}


def _complaint(error: dict[str, Any]) -> tuple[str, str]:
    loc = [str(part) for part in error["loc"]]
    name = next((part for part in loc if part in _BY_FIELD), loc[-1] if loc else "")
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "string_too_long":
        return name, f"Tối đa {ctx.get('max_length')} ký tự."
    if kind == "too_long":
        return name, f"Tối đa {ctx.get('max_length')} mục."
    if kind == "value_error":
        return name, "Có ký tự điều khiển hoặc ký tự không được phép."
    if kind.startswith("date"):
        return name, "Ngày không hợp lệ."
    return name, _BY_FIELD.get(name, "Giá trị không hợp lệ.")


async def read(action: str, form: FormData, version: int | None) -> Filled:
    """The command this form asks for, or the complaints that keep it from being one."""
    filled = Filled(action, {k: str(form.get(k) or "") for k in (*TEXT_FIELDS, "missing")})
    body: dict[str, Any] = {"action": action, "version": version}
    for name in TEXT_FIELDS:
        if value := filled.values[name].strip():
            body[name] = value
    if action == "request_supplement":
        body["missing"] = [line.strip() for line in filled.values["missing"].splitlines()
                           if line.strip()]
    if action == "approve":
        document = await _result_document(form.get("result_document"), filled)
        if document is not None:
            body["result_document"] = document
    elif action == "refuse_at_intake" or action in ("refuse", "stop", "issue_apology"):
        body.setdefault("reason", "")
    try:
        filled.command = COMMAND.validate_python(body)
    except ValidationError as invalid:
        for error in invalid.errors():
            name, message = _complaint(error)
            filled.errors.setdefault(name, message)
    if filled.errors:
        filled.command = None
    return filled


async def _result_document(upload: Any, filled: Filled) -> dict[str, str] | None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        filled.errors["result_document"] = _BY_FIELD["result_document"]
        return None
    content = await upload.read(MAX_BYTES + 1)
    kind = next((k for k, heads in SIGNATURES.items() if content.startswith(heads)), None)
    if not content:
        filled.errors["result_document"] = "Tệp rỗng: vui lòng chọn lại văn bản kết quả."
    elif len(content) > MAX_BYTES:
        filled.errors["result_document"] = (
            f"Tệp quá lớn: tối đa {MAX_BYTES // (1024 * 1024)} MB.")
    elif kind is None:
        filled.errors["result_document"] = "Chỉ nhận tệp PDF, JPEG hoặc PNG."
    else:
        return {"filename": upload.filename[-255:], "content_type": kind,
                "content_base64": base64.b64encode(content).decode()}
    return None


def explain(error: InvalidAction, filled: Filled) -> None:
    """The domain's refusal of an action's content, beside the field it is about."""
    if isinstance(error, DateOutOfBounds):
        earliest, latest = (date.fromisoformat(error.fields[k]) for k in ("earliest", "latest"))
        filled.errors[error.fields["field"]] = (
            f"Ngày phải trong khoảng {_date_text(earliest)} – {_date_text(latest)}.")
    elif "not a working day" in str(error):
        filled.errors["new_due_date"] = "Ngày hẹn mới phải là ngày làm việc."
    elif "department" in str(error):
        filled.errors["to_department"] = ("Phòng chuyên môn không hợp lệ, hoặc hồ sơ đã ở "
                                          "phòng này.")
    elif "result_document" in str(error):
        filled.errors["result_document"] = "Văn bản kết quả không hợp lệ."
    else:
        filled.errors["form"] = "Nội dung không hợp lệ, vui lòng kiểm tra lại."
