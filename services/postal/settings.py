from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from shared.runtime import effects
from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config


class PostalSettings(ServiceSettings, effects.EffectSettings):
    """``POSTAL_MAX_ATTEMPTS``, ``POSTAL_RECHECK_S`` … govern the shipments."""

    model_config: SettingsConfigDict = settings_config("postal")  # type: ignore[misc]

    service_name: str = "postal"
    http_port: int = SERVICE_PORTS["postal"]
    carrier_url: str = Field(
        "http://127.0.0.1:8100/carrier",
        validation_alias=AliasChoices("CARRIER_API_URL"),
        description="Base URL of the carrier's API (the sandbox in development).",
    )
    carrier_name: str = "VNPost"
    carrier_timeout_s: float = 10.0
