from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import SERVICE_PORTS, ServiceSettings, settings_config


class ProcessingSettings(ServiceSettings):
    model_config: SettingsConfigDict = settings_config("processing")  # type: ignore[misc]

    service_name: str = "processing"
    http_port: int = SERVICE_PORTS["processing"]
