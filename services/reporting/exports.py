"""The indicators as a periodic report (báo cáo định kỳ tình hình, kết quả giải quyết TTHC):
one row per department, then per procedure, then the total; CSV (UTF-8 with a BOM, so Excel
reads the diacritics) and XLSX (openpyxl) with the same columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from services.reporting.domain.indicators import formulas

# (header group, column header, indicator id, kind)
COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("Số hồ sơ nhận giải quyết", "Từ kỳ trước chuyển qua", "carried_over", "int"),
    ("Số hồ sơ nhận giải quyết", "Tiếp nhận trong kỳ", "received", "int"),
    ("Số hồ sơ nhận giải quyết", "Tỷ lệ trực tuyến", "online_rate", "rate"),
    ("Kết quả giải quyết", "Đã giải quyết", "resolved", "int"),
    ("Kết quả giải quyết", "Trước hạn", "early", "int"),
    ("Kết quả giải quyết", "Đúng hạn", "on_time", "int"),
    ("Kết quả giải quyết", "Quá hạn", "late", "int"),
    ("Kết quả giải quyết", "Tỷ lệ đúng và trước hạn", "on_time_rate", "rate"),
    ("Kết quả giải quyết", "Đang giải quyết (cuối kỳ)", "in_progress", "int"),
    ("Kết quả giải quyết", "Rút hồ sơ", "withdrawn", "int"),
    ("Kết quả giải quyết", "Không tiếp nhận", "refused_at_intake", "int"),
    ("Thời gian (ngày làm việc)", "Trung bình", "avg_processing_days", "days"),
    ("Thời gian (ngày làm việc)", "Trung vị", "median_processing_days", "days"),
    ("Thời gian (ngày làm việc)", "Cam kết rút ngắn so với quy định", "avg_gain_committed_days",
     "days"),
    ("Thời gian (ngày làm việc)", "Sớm hơn thời hạn quy định", "avg_gain_actual_days", "days"),
    ("Dịch vụ trực tuyến, số hóa", "Thanh toán trực tuyến", "online_payment_rate", "rate"),
    ("Dịch vụ trực tuyến, số hóa", "Trả kết quả qua bưu chính", "postal_return_rate", "rate"),
    ("Dịch vụ trực tuyến, số hóa", "Nhận hồ sơ dạng tệp", "files_received_rate", "rate"),
    ("Dịch vụ trực tuyến, số hóa", "Kết quả điện tử", "electronic_result_rate", "rate"),
    ("Mức độ hài lòng", "Tỷ lệ hài lòng", "satisfaction_rate", "rate"),
    ("Mức độ hài lòng", "Phiếu xin lỗi", "apologies", "int"),
)


def rows(report: Mapping[str, Any], names: Mapping[str, str]) -> list[list[Any]]:
    """``[STT, level, code, name, value...]`` per department, procedure, then the total."""
    out: list[list[Any]] = []
    number = 0
    for level, key in (("Phòng chuyên môn", "by_department"), ("Thủ tục", "by_procedure")):
        for code, values in report[key].items():
            number += 1
            out.append([number, level, code, names.get(code, code),
                        *(values[c[2]] for c in COLUMNS)])
    out.append(["", "Tổng cộng", "", "", *(report["total"][c[2]] for c in COLUMNS)])
    return out


def title(report: Mapping[str, Any]) -> list[str]:
    return ["BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
            f"Kỳ báo cáo: từ ngày {report['from']} đến ngày {report['to']}",
            "Theo Bộ chỉ số " + str(report["source"])]


def _periods_sheet(sheet: Any, report: Mapping[str, Any], bold: Font, box: Border,
                   fill: PatternFill) -> None:
    """One row per sub-period (month, quarter or year), the same columns."""
    heads = ["Kỳ", "Từ ngày", "Đến ngày", *(h for _, h, _, _ in COLUMNS)]
    for c, head in enumerate(heads, start=1):
        cell = sheet.cell(1, c, head)
        cell.font, cell.fill, cell.border = bold, fill, box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, period in enumerate(report["periods"], start=2):
        values = [period["period"], period["from"], period["to"],
                  *(period["indicators"][c[2]] for c in COLUMNS)]
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(r, c, value)
            cell.border = box
            if c > 3:
                cell.number_format = {"rate": "0.0%", "days": "0.00", "int": "0"}[
                    COLUMNS[c - 4][3]]
    sheet.row_dimensions[1].height = 45
    for c in range(1, len(heads) + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 12 if c <= 3 else 14
    sheet.freeze_panes = "D2"


def _formulas_sheet(sheet: Any, bold: Font) -> None:
    """Every indicator's formula, and whether it was confirmed from QĐ 766's annex."""
    for c, head in enumerate(("Mã", "Chỉ số", "Công thức", "Đã đối chiếu QĐ 766"), start=1):
        sheet.cell(1, c, head).font = bold
    for r, entry in enumerate(formulas()["indicators"], start=2):
        for c, value in enumerate((entry["id"], entry["name_vi"], entry["formula"],
                                   "Có" if entry["confirmed"] else "Chưa"), start=1):
            sheet.cell(r, c, value)
    for c, width in enumerate((26, 50, 70, 20), start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width


def to_csv(report: Mapping[str, Any], names: Mapping[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in title(report):
        writer.writerow([line])
    writer.writerow(["STT", "Cấp", "Mã", "Tên", *(f"{g}: {h}" for g, h, _, _ in COLUMNS)])
    for row in rows(report, names):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: Mapping[str, Any], names: Mapping[str, str]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    width = 4 + len(COLUMNS)
    bold, thin = Font(bold=True), Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, line in enumerate(title(report), start=1):
        sheet.cell(i, 1, line).font = Font(bold=i == 1, size=14 if i == 1 else 11)
        sheet.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
    top, sub = 5, 6
    for col, head in enumerate(("STT", "Cấp", "Mã", "Tên"), start=1):
        sheet.cell(top, col, head)
        sheet.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
    col = 5
    while col - 5 < len(COLUMNS):
        group = COLUMNS[col - 5][0]
        span = sum(1 for c in COLUMNS if c[0] == group)
        sheet.cell(top, col, group)
        if span > 1:
            sheet.merge_cells(start_row=top, start_column=col, end_row=top,
                              end_column=col + span - 1)
        for k in range(span):
            sheet.cell(sub, col + k, COLUMNS[col - 5 + k][1])
        col += span
    for r in (top, sub):
        for c in range(1, width + 1):
            cell = sheet.cell(r, c)
            cell.font, cell.fill, cell.border = bold, fill, box
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(rows(report, names), start=sub + 1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(r, c, value)
            cell.border = box
            if c > 4:
                kind = COLUMNS[c - 5][3]
                cell.number_format = {"rate": "0.0%", "days": "0.00", "int": "0"}[kind]
            if row[1] == "Tổng cộng":
                cell.font = bold
    for c, w in enumerate((5, 16, 12, 40), start=1):
        sheet.column_dimensions[get_column_letter(c)].width = w
    for c in range(5, width + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 14
    sheet.row_dimensions[sub].height = 45
    sheet.freeze_panes = sheet.cell(sub + 1, 5)
    _periods_sheet(book.create_sheet("Theo kỳ"), report, bold, box, fill)
    _formulas_sheet(book.create_sheet("Công thức"), bold)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
