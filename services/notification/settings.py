from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.runtime import effects
from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config


class NotificationSettings(ServiceSettings, effects.EffectSettings):
    """``NOTIFICATION_MAX_ATTEMPTS`` … govern the emails."""

    model_config: SettingsConfigDict = settings_config("notification")  # type: ignore[misc]

    service_name: str = "notification"
    http_port: int = SERVICE_PORTS["notification"]
    smtp_host: str = Field("127.0.0.1", validation_alias=AliasChoices("SMTP_HOST"))
    smtp_port: int = Field(1025, validation_alias=AliasChoices("SMTP_PORT"))
    smtp_from: str = Field(
        "Một Cửa <no-reply@motcua.local>", validation_alias=AliasChoices("SMTP_FROM")
    )
    smtp_username: str | None = Field(None, validation_alias=AliasChoices("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SMTP_PASSWORD"),
        description="Or SMTP_PASSWORD_FILE, a file holding it (a Docker secret).")
    smtp_starttls: bool = Field(False, validation_alias=AliasChoices("SMTP_STARTTLS"))
    smtp_timeout_s: float = Field(
        10.0, gt=0, validation_alias=AliasChoices("SMTP_TIMEOUT_S"),
        description="How long to wait for the SMTP server before giving up on a batch (its "
                    "emails are retried later).")
