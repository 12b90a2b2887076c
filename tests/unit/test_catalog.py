"""The procedure catalog: shipped data sets, versions and validation of bad data."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import UTC, date, datetime
from importlib.resources import files
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from shared.reference.catalog import (
    Catalog,
    CatalogError,
    CatalogVersion,
    Procedure,
    available_datasets,
    load_catalog,
    parse_catalog,
)
from shared.reference.workdays import BUSINESS_TZ

# Every national code the reference list marks ✅ or ◐ (copied from
# district-procedures.md); a code outside this list would be an invented one.
ALLOWED_NATIONAL_CODES = frozenset(
    {
        # Kinh tế và Hạ tầng
        "1.013225", "1.009995", "2.000620", "2.000181", "2.000162",
        # Giáo dục và Đào tạo
        "2.002481", "2.001842", "1.004563", "1.001639", "1.001622", "1.003702", "1.001714",
        # Tư pháp
        "2.002189", "2.000554", "2.000547", "2.000806", "2.000528", "1.001766", "2.000779",
        "1.001669", "2.000748", "2.000635", "2.000815", "2.000884", "2.001008", "2.000992",
        "2.001035", "2.000913", "2.000927", "2.000942", "2.001019",
        # Tài chính – Kế hoạch
        "1.001612", "2.000720", "1.001570", "1.001266", "2.000575", "1.005280", "1.005277",
        "1.004982", "2.002637",
        # Văn hóa và Thông tin
        "2.001885", "2.001884", "2.001786",
    }
)  # fmt: skip

PILOT = "vinh-thanh-2024"
MARRIAGE = "2.002189"


@pytest.fixture(scope="module")
def pilot() -> Catalog:
    return load_catalog(PILOT)


@pytest.fixture(scope="module")
def pilot_text() -> str:
    return (files("shared.reference.data.catalog") / f"{PILOT}.yaml").read_text(encoding="utf-8")


def all_versions() -> list[CatalogVersion]:
    return [v for name in available_datasets() for v in load_catalog(name).versions]


def test_default_data_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_PATH", raising=False)
    monkeypatch.delenv("CATALOG_DATASET", raising=False)
    catalog = load_catalog()
    assert catalog.dataset == PILOT
    assert {PILOT, "ninh-kieu-2025"} <= set(catalog.datasets())


def test_environment_selects_the_data_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_PATH", raising=False)
    monkeypatch.setenv("CATALOG_DATASET", "ninh-kieu-2025")
    assert load_catalog().dataset == "ninh-kieu-2025"
    monkeypatch.setenv("CATALOG_PATH",
                       str(files("shared.reference.data.catalog") / f"{PILOT}.yaml"))
    assert load_catalog().dataset == PILOT
    with pytest.raises(CatalogError, match="unknown catalog data set"):
        load_catalog("no-such-agency")


def test_pilot_has_24_procedures_in_five_departments(pilot: Catalog) -> None:
    for version in pilot.versions:
        assert version.agency.code == "VTH"
        assert version.department_codes == ("ktht", "gddt", "tp", "tckh", "vhtt")
        split = Counter(p.department_code for p in version.procedures)
        assert split == {"ktht": 11, "gddt": 2, "tp": 4, "tckh": 3, "vhtt": 4}


def test_department_names(pilot: Catalog) -> None:
    version = pilot.versions[0]
    names = {d.code: d.name for d in version.agency.departments}
    assert names == {
        "ktht": "Phòng Kinh tế và Hạ tầng",
        "gddt": "Phòng Giáo dục và Đào tạo",
        "tp": "Phòng Tư pháp",
        "tckh": "Phòng Tài chính – Kế hoạch",
        "vhtt": "Phòng Văn hóa và Thông tin",
    }
    assert version.department("tp") == version.agency.departments[2]
    assert version.department("xx") is None


def test_marriage_recording_is_12_to_7(pilot: Catalog) -> None:
    for version in pilot.versions:
        marriage = version.procedure(MARRIAGE)
        assert isinstance(marriage, Procedure)
        assert marriage.name == (
            "Ghi vào Sổ hộ tịch việc kết hôn của công dân Việt Nam đã được giải quyết "
            "tại cơ quan có thẩm quyền của nước ngoài"
        )
        assert (marriage.statutory_days, marriage.committed_days) == (12, 7)
        assert marriage.department_code == "tp" and marriage.national_code == MARRIAGE


def test_pilot_commitments_and_channels(pilot: Catalog) -> None:
    for version in pilot.versions:
        procedures = version.procedures
        for p in procedures:
            assert 1 <= p.statutory_days - p.committed_days <= 5, p.code
            assert p.channels == ("online",), p.code
        assert any(p.fee == 0 for p in procedures)
        assert any(p.fee > 0 for p in procedures)
        assert sum(p.postal_return for p in procedures) > len(procedures) / 2
        assert all(20_000 <= p.postage <= 30_000 for p in procedures if p.postal_return)


@pytest.mark.parametrize("version", all_versions(), ids=lambda v: v.id)
def test_no_invented_national_codes(version: CatalogVersion) -> None:
    for p in version.procedures:
        if p.national_code is None:
            assert p.code.startswith(f"{version.agency.code}-LOCAL-"), p.code
        else:
            assert p.national_code in ALLOWED_NATIONAL_CODES, p.code
            assert p.code == p.national_code


@pytest.mark.parametrize("version", all_versions(), ids=lambda v: v.id)
def test_citizen_facing_text_is_vietnamese(version: CatalogVersion) -> None:
    texts = [version.agency.name, *(d.name for d in version.agency.departments)]
    for p in version.procedures:
        texts += [p.name, *(d.name for d in p.required_documents)]
        assert p.required_documents, p.code
        assert p.verified or p.note, p.code
    for text in texts:
        assert unicodedata.is_normalized("NFC", text), text
    assert all(not t.isascii() for t in texts)  # diacritics were not lost


def test_version_selection_by_date(pilot: Catalog) -> None:
    assert pilot.active(datetime(2024, 3, 1, tzinfo=BUSINESS_TZ)).id == "vinh-thanh-2024.1"
    assert pilot.active(datetime(2024, 9, 30, 23, 59, tzinfo=BUSINESS_TZ)).id.endswith(".1")
    assert pilot.active(datetime(2024, 10, 1, tzinfo=BUSINESS_TZ)).id == "vinh-thanh-2024.2"
    # 17:30 UTC on 30/9 is already 1/10 in Vietnam.
    assert pilot.active(datetime(2024, 9, 30, 17, 30, tzinfo=UTC)).id.endswith(".2")
    assert pilot.active().id == "vinh-thanh-2024.2"
    with pytest.raises(CatalogError, match="no version in force"):
        pilot.active(datetime(2023, 12, 31, 12, tzinfo=BUSINESS_TZ))
    with pytest.raises(ValueError):
        pilot.active(datetime(2024, 3, 1))


def test_version_by_id(pilot: Catalog) -> None:
    assert pilot.version("vinh-thanh-2024.1").effective_from == date(2024, 1, 1)
    with pytest.raises(CatalogError, match="no version"):
        pilot.version("vinh-thanh-1999.1")
    with pytest.raises(LookupError):
        pilot.version("vinh-thanh-1999.1")


def test_a_later_version_leaves_the_earlier_one_alone(pilot: Catalog) -> None:
    first, second = pilot.version("vinh-thanh-2024.1"), pilot.version("vinh-thanh-2024.2")
    assert first.procedure("1.009995").committed_days == 12  # type: ignore[union-attr]
    assert second.procedure("1.009995").committed_days == 10  # type: ignore[union-attr]
    changed = [p.code for p in first.procedures if second.procedure(p.code) != p]
    assert changed == ["1.009995"]
    assert load_catalog(PILOT).version(first.id) == first
    with pytest.raises(ValidationError):
        first.procedures[0].committed_days = 1  # type: ignore[misc]


def test_commune_data_set() -> None:
    commune = load_catalog("ninh-kieu-2025")
    version = commune.active(datetime(2025, 7, 1, 8, tzinfo=BUSINESS_TZ))
    assert version.agency.code == "NKI"
    assert 2 <= len(version.department_codes) <= 3
    assert 3 <= len(version.procedures) <= 5
    assert any("counter" in p.channels for p in version.procedures)
    with pytest.raises(CatalogError):
        commune.active(datetime(2025, 6, 30, 12, tzinfo=BUSINESS_TZ))


# --- Invalid data is refused with the file and the field named -----------------------------


def edited(text: str, edit: Any) -> str:
    data = yaml.safe_load(text)
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True)


def procedure(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(p for p in data["versions"][0]["procedures"] if p["code"] == code)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: procedure(d, MARRIAGE).update(department_code="hotich"),
            r"versions\[0\] \(vinh-thanh-2024.1\): .*department_code 'hotich' is not one",
        ),
        (
            lambda d: procedure(d, "1.001612").update(code=MARRIAGE, national_code=MARRIAGE),
            "duplicate procedure code: 2.002189",
        ),
        (
            lambda d: procedure(d, MARRIAGE).update(committed_days=13),
            r"procedures\[13\] \(2.002189\): .*committed_days \(13\) exceeds statutory_days",
        ),
        (
            lambda d: procedure(d, MARRIAGE).update(cutoff=1020),
            r"\(2.002189\)\.cutoff: .*quoted time",
        ),
        (
            lambda d: procedure(d, "VTH-LOCAL-01").update(national_code="1.009994"),
            "code must equal national_code",
        ),
        (lambda d: procedure(d, "VTH-LOCAL-01").update(code="VTH-07"), "must contain LOCAL"),
        (lambda d: procedure(d, MARRIAGE).update(fee=-1), r"\(2.002189\)\.fee: "),
        (lambda d: procedure(d, MARRIAGE).update(postage=0), "postage must be > 0"),
        (lambda d: procedure(d, MARRIAGE).update(fee_payment_days=0),
         r"\(2.002189\)\.fee_payment_days: "),
        (lambda d: d["versions"][1].update(based_on="x"), "based_on 'x' is not an earlier"),
        (lambda d: d["versions"][1]["changes"].update({"9.999999": {}}), "no procedure '9.99"),
        (lambda d: d["versions"][1].update(effective_from=date(2024, 1, 1)), "share an effect"),
        (lambda d: d["agency"].update(code="vth-1"), r"agency\.code: "),
    ],
)
def test_invalid_data_is_rejected(pilot_text: str, edit: Any, message: str) -> None:
    with pytest.raises(CatalogError, match=r"bad-catalog\.yaml") as caught:
        parse_catalog(edited(pilot_text, edit), "bad-catalog.yaml")
    assert caught.match(message)


def test_unquoted_codes_are_caught(pilot_text: str) -> None:
    text = pilot_text.replace('"1.009995": {committed_days: 10}', "1.009995: {committed_days: 10}")
    with pytest.raises(CatalogError, match="quote the procedure code"):
        parse_catalog(text, "bad-catalog.yaml")


def test_the_shipped_text_parses(pilot_text: str, pilot: Catalog) -> None:
    assert parse_catalog(pilot_text).versions == pilot.versions


def test_a_procedure_may_do_without_a_separate_approver() -> None:
    from shared.reference.catalog import load_catalog

    ward = load_catalog("ninh-kieu-2025").active(datetime(2025, 8, 1, tzinfo=UTC))
    school_transfer = ward.procedure("2.002481")
    assert school_transfer is not None and school_transfer.separate_approval is False
    pilot = load_catalog("vinh-thanh-2024").active(datetime(2024, 6, 1, tzinfo=UTC))
    assert all(p.separate_approval for p in pilot.procedures)


def test_the_days_to_pay_a_fee_default_to_five_working_days(pilot_text: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        procedure(data, MARRIAGE).update(fee_payment_days=10)

    edited_catalog = parse_catalog(edited(pilot_text, edit))
    first = edited_catalog.versions[0]
    assert first.procedure(MARRIAGE).fee_payment_days == 10
    assert first.procedure("1.001612").fee_payment_days == 5
