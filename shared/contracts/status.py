"""Dossier statuses, numbered as Vietnamese one-stop systems number them."""

from __future__ import annotations

from enum import StrEnum


class DossierStatus(StrEnum):
    REGISTERED = "registered"  # 1 mới đăng ký
    ACCEPTED = "accepted"  # 2 được tiếp nhận
    REFUSED_AT_INTAKE = "refused_at_intake"  # 3 không được tiếp nhận
    IN_PROGRESS = "in_progress"  # 4 đang xử lý
    AWAITING_SUPPLEMENT = "awaiting_supplement"  # 5 chờ bổ sung (clock paused)
    AWAITING_FEE = "awaiting_fee"  # 6 chờ thanh toán phí, lệ phí (clock paused)
    WITHDRAWN = "withdrawn"  # 7 công dân rút hồ sơ
    STOPPED = "stopped"  # 8 dừng xử lý
    DECIDED = "decided"  # 9 đã xử lý xong
    RESULT_RETURNED = "result_returned"  # 10 đã trả kết quả

    @property
    def number(self) -> int:
        return _NUMBERS[self]

    @property
    def label_vi(self) -> str:
        return _LABELS_VI[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


_NUMBERS = {status: index for index, status in enumerate(DossierStatus, start=1)}

_LABELS_VI = {
    DossierStatus.REGISTERED: "Mới đăng ký",
    DossierStatus.ACCEPTED: "Đã tiếp nhận",
    DossierStatus.REFUSED_AT_INTAKE: "Không được tiếp nhận",
    DossierStatus.IN_PROGRESS: "Đang xử lý",
    DossierStatus.AWAITING_SUPPLEMENT: "Chờ bổ sung hồ sơ",
    DossierStatus.AWAITING_FEE: "Chờ thanh toán phí, lệ phí",
    DossierStatus.WITHDRAWN: "Công dân đã rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.DECIDED: "Đã xử lý xong",
    DossierStatus.RESULT_RETURNED: "Đã trả kết quả",
}

FINAL_STATUSES = frozenset(
    {
        DossierStatus.REFUSED_AT_INTAKE,
        DossierStatus.WITHDRAWN,
        DossierStatus.STOPPED,
        DossierStatus.RESULT_RETURNED,
    }
)

WITHDRAWABLE_STATUSES = frozenset(
    {
        DossierStatus.REGISTERED,
        DossierStatus.ACCEPTED,
        DossierStatus.IN_PROGRESS,
        DossierStatus.AWAITING_SUPPLEMENT,
        DossierStatus.AWAITING_FEE,
    }
)
"""A citizen may withdraw a dossier until it is decided or closed (DOMAIN.md: 1, 2, 4, 5, 6)."""
