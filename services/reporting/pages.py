"""The dashboard and the what-if page, in Vietnamese, rendered on the server: the charts are
SVG written here (no script, no build step), every text escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from services.reporting.domain.indicators import formulas

STYLE = """
body{font-family:system-ui,'Segoe UI',Roboto,sans-serif;margin:0;background:#f5f7fa;color:#1f2933}
header{background:#0b5394;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px;max-width:1200px}section{background:#fff;border-radius:6px;
padding:12px 16px;margin:12px 0;box-shadow:0 1px 2px #0002}h2{font-size:16px;margin:4px 0 10px}
form{display:flex;flex-wrap:wrap;gap:8px;align-items:end}label{font-size:13px;display:flex;
flex-direction:column}input,select{padding:4px}.tiles{display:flex;flex-wrap:wrap;gap:12px}
.tile{background:#eef4fb;border-radius:6px;padding:10px 14px;min-width:150px}
.tile b{display:block;font-size:22px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #d0d7de;padding:3px 6px;text-align:left}.num{text-align:right}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px}
.late{color:#b42318;font-weight:600}
"""

FIELDS = (("agency", "Cơ quan"), ("department", "Phòng chuyên môn"), ("procedure", "Thủ tục"),
          ("from", "Từ ngày"), ("to", "Đến ngày"))
RATINGS_VI = {"very_satisfied": "Rất hài lòng", "satisfied": "Hài lòng",
              "unsatisfied": "Không hài lòng", "unrated": "Chưa đánh giá"}
PERIODS = (("month", "Tháng"), ("quarter", "Quý"), ("year", "Năm"))


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{escape(title)}</h1></header><main>{body}</main></body></html>")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def bar_chart(title: str, items: Sequence[tuple[str, float | None]], *, unit: str = "%",
              scale: float | None = None) -> str:
    """Horizontal bars, one per ``(label, value)``; rates (unit %) are fractions of 1."""
    row, left, width = 26, 190, 300
    values = [v for _, v in items if v is not None]
    top = scale or (1.0 if unit == "%" else max([abs(v) for v in values] + [1.0]))
    height = row * max(len(items), 1) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="560" '
             f'height="{height + 24}" aria-label="{escape(title)}">',
             f'<text x="0" y="14" font-size="13" font-weight="600">{escape(title)}</text>']
    if not items:
        parts.append('<text x="0" y="40" font-size="12">Chưa có số liệu</text>')
    for i, (label, value) in enumerate(items):
        y = 24 + i * row
        short = label if len(label) <= 27 else label[:26].rstrip() + "…"
        parts.append(f'<text x="0" y="{y + 15}" font-size="12"><title>{escape(label)}</title>'
                     f"{escape(short)}</text>")
        if value is None:
            parts.append(f'<text x="{left}" y="{y + 15}" font-size="12">—</text>')
            continue
        w = max(1, round(width * min(abs(value), top) / top))
        colour = "#b42318" if value < 0 else "#1d70b8"
        text = percent(value) if unit == "%" else f"{days(value)} {unit}"
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w}" height="16" fill="{colour}">'
                     f"<title>{escape(label)}: {escape(text)}</title></rect>")
        parts.append(f'<text x="{left + w + 6}" y="{y + 15}" font-size="12">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _form(action: str, values: Mapping[str, Any], extra: str = "") -> str:
    inputs = "".join(
        f'<label>{escape(label)}<input name="{name}" '
        f'type="{"date" if name in ("from", "to") else "text"}" '
        f'value="{escape(str(values.get(name) or ""))}"></label>' for name, label in FIELDS)
    return f'<form method="get" action="{action}">{inputs}{extra}<button>Xem</button></form>'


def dashboard(report: Mapping[str, Any], names: Mapping[str, str],
              query: Mapping[str, Any]) -> str:
    total = report["total"]
    chosen = report["period"]
    options = "".join(f'<option value="{v}"{" selected" if v == chosen else ""}>{label}'
                      f"</option>" for v, label in PERIODS)
    form = _form("/", {**query, "from": report["from"], "to": report["to"]},
                 f'<label>Kỳ<select name="period">{options}</select></label>')
    tiles = "".join(f'<div class="tile">{escape(label)}<b>{escape(value)}</b></div>'
                    for label, value in (
        ("Hồ sơ tiếp nhận", str(total["received"])),
        ("Đã giải quyết", str(total["resolved"])),
        ("Tỷ lệ đúng và trước hạn", percent(total["on_time_rate"])),
        ("Rút ngắn so với quy định (ngày)", days(total["avg_gain_committed_days"])),
        ("Tỷ lệ hài lòng", percent(total["satisfaction_rate"])),
        ("Quá hạn hiện tại", str(total["overdue_now"])),
        ("Sắp đến hạn hiện tại", str(total["at_risk_now"])),
    ))
    link = {k: v for k, v in {**query, "from": report["from"], "to": report["to"],
                              "period": chosen}.items() if v}
    exports = (f'<p><a href="/v1/indicators.csv?{escape(urlencode(link))}">Tải CSV</a> · '
               f'<a href="/v1/indicators.xlsx?{escape(urlencode(link))}">Tải Excel (XLSX)</a> · '
               f'<a href="/v1/indicators?{escape(urlencode(link))}">JSON</a> · '
               f'<a href="/what-if">Mô phỏng thời hạn (what-if)</a></p>')
    over_time = bar_chart("Tỷ lệ giải quyết đúng và trước hạn theo kỳ",
                          [(p["period"], p["indicators"]["on_time_rate"])
                           for p in report["periods"]])
    by_department = bar_chart("Tỷ lệ đúng và trước hạn theo phòng chuyên môn",
                              [(names.get(code, code), v["on_time_rate"])
                               for code, v in report["by_department"].items()])
    gain = bar_chart("Số ngày làm việc rút ngắn so với thời hạn quy định (cam kết)",
                     [(f"{code} {names.get(code, '')}", v["avg_gain_committed_days"])
                      for code, v in report["by_procedure"].items()], unit="ngày")
    gain_actual = bar_chart("Số ngày làm việc giải quyết sớm hơn thời hạn quy định (thực tế)",
                            [(f"{code} {names.get(code, '')}", v["avg_gain_actual_days"])
                             for code, v in report["by_procedure"].items()], unit="ngày")
    channels = bar_chart("Kênh nộp, thanh toán và trả kết quả", [
        ("Nộp trực tuyến", total["online_rate"]),
        ("Trực tuyến toàn trình", total["full_process_rate"]),
        ("Trực tuyến một phần", total["partial_rate"]),
        ("Thanh toán trực tuyến", total["online_payment_rate"]),
        ("Trả kết quả qua bưu chính", total["postal_return_rate"]),
        ("Nhận hồ sơ dạng tệp", total["files_received_rate"]),
        ("Kết quả điện tử", total["electronic_result_rate"]),
    ])
    ratings = total["ratings"]
    rating_total = sum(ratings.values()) or 1
    rating_chart = bar_chart("Phân bố đánh giá mức độ hài lòng", [
        (label, ratings[key] / rating_total) for key, label in RATINGS_VI.items()])
    table = _indicator_table(total)
    groups = "".join(f"<li>{escape(g['name_vi'])}: {g['points']} điểm"
                     f"{'' if g['computed'] else ' (chưa tính được từ sự kiện)'}</li>"
                     for g in report["groups"])
    body = (f"<section>{form}{exports}</section>"
            f"<section><h2>Tổng quan từ {escape(report['from'])} đến {escape(report['to'])}"
            f"</h2><div class=\"tiles\">{tiles}</div></section>"
            f'<section><div class="charts">{over_time}{by_department}{gain}{gain_actual}'
            f"{channels}{rating_chart}</div></section>"
            f"<section><h2>Các chỉ số (QĐ 766/QĐ-TTg)</h2><ul>{groups}</ul>{table}</section>")
    return _page("Một Cửa — Bảng theo dõi chỉ số phục vụ người dân (QĐ 766)", body)


def _indicator_table(values: Mapping[str, Any]) -> str:
    rows = []
    for entry in formulas()["indicators"]:
        value = values[entry["id"]]
        if isinstance(value, dict):
            shown = ", ".join(f"{RATINGS_VI.get(k, k)}: {v}" for k, v in value.items())
        elif isinstance(value, float) and entry["id"].endswith("_rate"):
            shown = percent(value)
        elif isinstance(value, float):
            shown = days(value)
        else:
            shown = "—" if value is None else str(value)
        mark = "" if entry["confirmed"] else " *"
        rows.append(f"<tr><td>{escape(entry['name_vi'])}{mark}</td>"
                    f'<td class="num">{escape(shown)}</td>'
                    f"<td><code>{escape(entry['formula'])}</code></td></tr>")
    return ("<table><tr><th>Chỉ số</th><th>Giá trị</th><th>Công thức</th></tr>"
            + "".join(rows) + "</table><p>* công thức chưa đối chiếu được với phụ lục chính "
            "thức của QĐ 766.</p>")


def what_if_page(query: Mapping[str, Any], report: Mapping[str, Any] | None,
                 error: str | None = None) -> str:
    fields = "".join(
        f'<label>{escape(label)}<input name="{name}" type="{kind}" '
        f'value="{escape(str(query.get(name) or ""))}"></label>'
        for name, label, kind in (("procedure", "Mã thủ tục", "text"),
                                  ("days", "Số ngày cam kết đề xuất", "number"),
                                  ("catalog_version", "hoặc phiên bản danh mục đề xuất", "text"),
                                  ("from", "Từ ngày", "date"), ("to", "Đến ngày", "date")))
    body = (f'<section><form method="get" action="/what-if">{fields}<button>Mô phỏng</button>'
            f"</form><p>Chạy lại dòng thời gian đã ghi nhận của từng hồ sơ (tiếp nhận, tạm dừng, "
            f"quyết định) theo thời hạn đề xuất, trên lịch làm việc thực tế. Không thay đổi dữ "
            f"liệu đang vận hành.</p></section>")
    if error:
        body += f'<section><p class="late">{escape(error)}</p></section>'
    if report:
        rows = "".join(
            f"<tr><td>{escape(r['code'])}</td><td>{r['received_on']}</td>"
            f"<td>{r['decided_on']}</td><td>{r['due_now'] or '—'}</td>"
            f"<td>{r['due_proposed']}</td>"
            f"<td{' class=late' if r['late_now'] else ''}>"
            f"{'Quá hạn' if r['late_now'] else 'Đúng hạn'}</td>"
            f"<td{' class=late' if r['late_proposed'] else ''}>"
            f"{'Quá hạn' if r['late_proposed'] else 'Đúng hạn'}</td></tr>"
            for r in report["rows"])
        body += (f"<section><h2>Thủ tục {escape(report['procedure'])} "
                 f"{escape(report['procedure_name'] or '')}</h2>"
                 f"<p>Thời hạn cam kết hiện tại: {escape(str(report['committed_days_now']))} "
                 f"ngày; đề xuất: {report['proposed_days']} ngày. Hồ sơ đã quyết định: "
                 f"{report['decided']}. Quá hạn hiện tại: {len(report['late_now'])}; quá hạn "
                 f"theo đề xuất: {len(report['late_proposed'])}.</p>"
                 f"<table><tr><th>Mã hồ sơ</th><th>Ngày nhận</th><th>Ngày quyết định</th>"
                 f"<th>Hạn hiện tại</th><th>Hạn theo đề xuất</th><th>Hiện tại</th>"
                 f"<th>Theo đề xuất</th></tr>{rows}</table></section>")
    return _page("Một Cửa — Mô phỏng thời hạn giải quyết (what-if)", body)
