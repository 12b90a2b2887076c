"""Portal secrets: the development portal only in development; no secret, no start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.bootstrap import topics
from services.intake.domain import public_description, public_detail
from services.intake.settings import IntakeSettings


def test_development_without_secrets_registers_the_development_portal() -> None:
    settings = IntakeSettings(environment="development", portal_secrets="")
    assert settings.portal_keys() == {"dev-portal": ("dev-portal-secret",)}


def test_configured_portals_replace_the_development_portal() -> None:
    settings = IntakeSettings(environment="development",
                              portal_secrets="dvc:0123456789abcdef")
    assert settings.portal_keys() == {"dvc": ("0123456789abcdef",)}


def test_outside_development_intake_refuses_to_start_without_secrets(monkeypatch) -> None:
    monkeypatch.delenv("MOT_CUA_ENV", raising=False)
    monkeypatch.delenv("INTAKE_PORTAL_SECRETS", raising=False)
    with pytest.raises(ValidationError, match="INTAKE_PORTAL_SECRETS is empty"):
        IntakeSettings()
    monkeypatch.setenv("MOT_CUA_ENV", "development")
    assert IntakeSettings().portal_keys() == {"dev-portal": ("dev-portal-secret",)}


def test_a_malformed_secret_list_stops_the_start() -> None:
    with pytest.raises(ValidationError, match="entry 1"):
        IntakeSettings(portal_secrets="no-colon-here")


def test_an_s3_store_needs_a_bucket() -> None:
    with pytest.raises(ValidationError, match="INTAKE_S3_BUCKET"):
        IntakeSettings(environment="development", document_store="s3")


def test_a_receipts_topic_is_provisioned_for_each_configured_portal() -> None:
    settings = IntakeSettings(portal_secrets="a:0123456789abcdef;b:0123456789abcdef")
    names = topics(settings)
    assert {"portal.a.receipts", "portal.b.receipts", "portal.submissions",
            "dossier.events"} <= set(names)


def test_the_public_view_shows_an_assisted_submission_but_not_the_helpers_name() -> None:
    detail = {"submitted_by": {"kind": "helper", "name": "Trần Văn Nam",
                               "organisation": "Đoàn Thanh niên xã Thạnh An"},
              "channel": "online", "reason": "Ông Lê Văn A thiếu giấy tờ",
              "tracking_code": "EB123456789VN", "outcome": "approved"}
    shown = public_detail(detail, {"to_khai"})
    assert shown == {"outcome": "approved", "assisted": True,
                     "organisation": "Đoàn Thanh niên xã Thạnh An"}
    text = public_description("DossierSubmitted", detail)
    assert text == ("Hồ sơ đã được nộp trực tuyến (nộp thay, với sự hỗ trợ của "
                    "Đoàn Thanh niên xã Thạnh An)")
    assert "Trần Văn Nam" not in text
    assert public_detail({"submitted_by": {"kind": "citizen"}}, ()) == {}


def test_intake_refuses_to_start_when_a_catalog_limit_exceeds_the_global_cap() -> None:
    from services.intake.bootstrap import build_deps

    settings = IntakeSettings(portal_secrets="a:0123456789abcdef",
                              max_document_bytes=10 * 1024 * 1024)
    with pytest.raises(ValueError, match=r"ban_ve_thiet_ke.*20971520.*INTAKE_MAX_DOCUMENT_BYTES"):
        build_deps(settings, None, None)
    assert IntakeSettings(portal_secrets="a:0123456789abcdef").max_document_bytes == 20971520
