"""Secrets in every service's settings: SecretStr (never printed), and read from the file a
``<NAME>_FILE`` variable names, as Docker and Kubernetes mount secrets."""

from __future__ import annotations

import logging

import pytest
import structlog
from pydantic import SecretStr

from services.intake.settings import IntakeSettings
from services.notification.settings import NotificationSettings
from services.payment.settings import PaymentSettings
from services.processing.settings import ProcessingSettings
from shared.runtime.logging import configure_logging

TOKEN = "token-key-from-a-docker-secret-0123456789"  # noqa: S105 - a test's key


@pytest.mark.parametrize(("settings", "field"), [
    (ProcessingSettings, "token_secret"), (IntakeSettings, "portal_secrets"),
    (PaymentSettings, "vnpay_hash_secret"), (NotificationSettings, "smtp_password"),
])
def test_every_secret_is_a_secret_str(settings, field: str) -> None:
    annotation = settings.model_fields[field].annotation
    assert annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


def test_a_file_variable_holds_the_secret(tmp_path, monkeypatch) -> None:
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")  # as `echo … > file` writes it
    monkeypatch.setenv("PROCESSING_TOKEN_SECRET_FILE", str(secret))
    assert ProcessingSettings().token_secret == SecretStr(TOKEN)
    smtp = tmp_path / "smtp"
    smtp.write_text("smtp-password")
    monkeypatch.setenv("SMTP_PASSWORD_FILE", str(smtp))  # an unprefixed alias too
    assert NotificationSettings().smtp_password == SecretStr("smtp-password")
    portals = tmp_path / "portals"
    portals.write_text("portal-a:0123456789abcdef;portal-b:fedcba9876543210")
    monkeypatch.setenv("INTAKE_PORTAL_SECRETS_FILE", str(portals))
    assert set(IntakeSettings().portal_keys()) == {"portal-a", "portal-b"}


def test_the_variable_itself_wins_over_its_file(tmp_path, monkeypatch) -> None:
    secret = tmp_path / "token"
    secret.write_text(TOKEN)
    monkeypatch.setenv("PROCESSING_TOKEN_SECRET_FILE", str(secret))
    monkeypatch.setenv("PROCESSING_TOKEN_SECRET", "x" * 40)
    assert ProcessingSettings().token_secret == SecretStr("x" * 40)


def test_an_unreadable_file_stops_the_service_naming_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("PROCESSING_TOKEN_SECRET_FILE", "/nonexistent/token")
    with pytest.raises(ValueError, match="token_secret") as stopped:
        ProcessingSettings()
    assert "PROCESSING_TOKEN_SECRET_FILE: cannot read" in str(stopped.value.__cause__)


def test_a_file_variable_of_a_field_that_is_no_secret_is_not_read(tmp_path,
                                                                  monkeypatch) -> None:
    # PROCESSING_OFFICERS_FILE is a setting of its own (a path), not "PROCESSING_OFFICERS"
    monkeypatch.setenv("LOG_LEVEL_FILE", str(tmp_path / "missing"))
    assert ProcessingSettings().log_level == "INFO"


def test_settings_never_print_or_log_their_secrets(capsys, monkeypatch) -> None:
    monkeypatch.setenv("PROCESSING_TOKEN_SECRET", TOKEN)
    monkeypatch.setenv("INTAKE_PORTAL_SECRETS", "portal-a:portal-a-secret-0001")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-password-0001")
    everything = [ProcessingSettings(), IntakeSettings(), NotificationSettings()]
    configure_logging("test", fmt="json")
    for settings in everything:
        structlog.get_logger("t").info("settings", settings=repr(settings),
                                       dumped=settings.model_dump())
        logging.getLogger("lib").warning("settings %s", settings)
    text = capsys.readouterr().err + "".join(map(repr, everything))
    assert text.count("**********") >= 6
    for secret in (TOKEN, "portal-a-secret-0001", "smtp-password-0001"):
        assert secret not in text
