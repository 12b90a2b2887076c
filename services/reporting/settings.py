from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config


class ReportingSettings(ServiceSettings):
    """``REPORTING_HTTP_PORT`` … (the shared infrastructure settings are unprefixed)."""

    model_config: SettingsConfigDict = settings_config("reporting")  # type: ignore[misc]

    service_name: str = "reporting"
    http_port: int = SERVICE_PORTS["reporting"]
    rebuild_idle_timeout_s: float = Field(
        30.0, gt=0, description="A rebuild gives up when the broker hands nothing for this long "
                                "before it reached the high-water marks it set out to read.")
