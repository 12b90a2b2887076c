from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config


class ProcessingSettings(ServiceSettings):
    model_config: SettingsConfigDict = settings_config("processing")  # type: ignore[misc]

    service_name: str = "processing"
    http_port: int = SERVICE_PORTS["processing"]

    environment: str = Field(
        "production", validation_alias=AliasChoices("MOT_CUA_ENV"),
        description="'development' (set by make run) seeds the development officer accounts "
                    "when no officers file is configured.")
    officers_file: Path | None = Field(
        None, description="YAML list of officers: username, department_code, role "
                          "(intake, specialist, approver) and an Argon2 password_hash.")
    token_secret: SecretStr | None = Field(
        None, description="HS256 key of officers' tokens (32+ characters; every replica "
                          "needs the same one), or PROCESSING_TOKEN_SECRET_FILE. Required "
                          "outside development, where unset means a random key per process.")
    token_ttl_s: int = Field(900, ge=60, le=86_400)
    sign_in_attempts_per_account: int = Field(
        5, ge=1, description="Sign-in attempts one account may have per window; then 429 "
                             "with Retry-After. Counted in the database, for every replica.")
    sign_in_attempts_per_client: int = Field(
        30, ge=1, description="Sign-in attempts one client address may make per window.")
    sign_in_window_s: int = Field(900, ge=1, description="The attempts' window, in seconds.")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks of the proxies in front of "
        "processing: the client of a sign-in is the rightmost X-Forwarded-For hop that is not "
        "one of them. Empty: the header is ignored and the peer address counts.")
    at_risk_working_days: int = Field(
        1, ge=0, description="A dossier is at risk when its committed date is at most this "
                             "many working days away.")
    deadline_scan_interval_s: float = Field(60.0, gt=0)
