"""Which carrier update moves a parcel: its own time orders it, a final state is final."""

from datetime import UTC, datetime, timedelta

from services.postal.adapters.carrier import Detail
from services.postal.adapters.ghn import status_of, time_of
from services.postal.domain.tracking import Update, in_order, moves

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)


def at(minutes: int, status: str = "picked", **extra: str) -> Update:
    return Update(status, T0 + timedelta(minutes=minutes), **extra)


def test_a_newer_update_moves_and_a_late_one_does_not() -> None:
    assert moves("ready_to_pick", None, at(1, "picking"))
    assert moves("picking", T0 + timedelta(minutes=1), at(2, "picked"))
    assert not moves("picked", T0 + timedelta(minutes=2), at(1, "picking"))  # late
    assert not moves("picked", T0 + timedelta(minutes=2), at(2, "delivered"))  # same time
    assert not moves("picked", T0, at(3, "picked"))  # no change of state


def test_a_final_state_is_never_left() -> None:
    for final in ("delivered", "returned", "lost", "damage", "cancel"):
        assert not moves(final, T0, at(60, "delivering"))
    assert moves("delivery_fail", T0, at(60, "storing"))  # a redelivery goes on


def test_updates_are_taken_in_their_own_order() -> None:
    late, early = at(5, "delivering"), at(1, "picking")
    assert in_order([late, early]) == [early, late]


def test_the_detail_confirms_an_update_with_the_same_state_and_time() -> None:
    detail = Detail("EB000000014VN", "VTH-1", "delivered",
                    (at(1, "picking"), at(9, "delivered", recipient_name="Lê Thị Cúc")))
    confirmed = detail.confirms(at(9, "delivered"))
    assert confirmed is not None and confirmed.recipient_name == "Lê Thị Cúc"
    assert detail.confirms(at(8, "delivered")) is None
    assert detail.confirms(at(1, "picked")) is None


def test_ghn_statuses_and_times_map_onto_ours() -> None:
    assert status_of("money_collect_delivering") == "delivering"
    assert status_of("return_sorting") == "returning"
    assert time_of("2025-03-01T15:00:00") == T0.replace(hour=8)  # GMT+7 without offset
    assert time_of("2025-03-01T08:00:00Z") == T0


def test_every_state_has_its_vietnamese_label() -> None:
    import unicodedata

    from services.postal.domain.tracking import LABELS_VI, STATUSES

    assert set(LABELS_VI) == STATUSES
    assert all(unicodedata.is_normalized("NFC", label) for label in LABELS_VI.values())
