from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.runtime import effects
from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config

# The development merchant at the sandbox gateway (README, "Paying a fee"); never production.
DEV_MERCHANT = ("MOTCUA01", "MOTCUADEVHASHSECRETVNPAY2025SBX0")


class PaymentSettings(ServiceSettings, effects.EffectSettings):
    """``PAYMENT_MAX_ATTEMPTS``, ``PAYMENT_RECHECK_S`` … govern refunds and querydr checks."""

    model_config: SettingsConfigDict = settings_config("payment")  # type: ignore[misc]

    service_name: str = "payment"
    http_port: int = SERVICE_PORTS["payment"]
    environment: str = Field(
        "production", validation_alias=AliasChoices("MOT_CUA_ENV", "environment"),
        description="'development' (make run) uses the sandbox's development merchant.")
    gateway_url: str = Field(
        "http://127.0.0.1:8100/payment",
        validation_alias=AliasChoices("PAYMENT_GATEWAY_URL"),
        description="The VNPay gateway's base URL (its pay page is <url>/paymentv2/vpcpay.html, "
                    "its web API <url>/merchant_webapi/api/transaction); the sandbox in "
                    "development, https://sandbox.vnpayment.vn for VNPay's own.")
    gateway_timeout_s: float = 10.0
    vnpay_tmn_code: str | None = Field(None, description="The merchant's vnp_TmnCode.")
    vnpay_hash_secret: SecretStr | None = Field(
        None, description="The merchant's hash secret (or PAYMENT_VNPAY_HASH_SECRET_FILE).")
    public_url: str | None = Field(
        None, description="Where citizens and the gateway reach this service (links, return "
                          "page, IPN); http://127.0.0.1:<PAYMENT_HTTP_PORT> by default.")
    server_ip: str = Field("127.0.0.1", description="vnp_IpAddr of the web API calls.")
    order_ttl_s: int = Field(900, ge=60, description="How long one attempt to pay may take.")
    order_ttl_by_procedure: dict[str, int] = Field(
        default_factory=dict, description="Per procedure code, in seconds (JSON).")
    querydr_after_s: float = Field(
        300.0, ge=0, description="How long after an attempt expired without an IPN it is "
                                 "settled by querydr.")

    reconcile_at: str = Field(
        "02:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="When (HH:MM, GMT+7) the previous day's settlement file is reconciled.")

    @model_validator(mode="after")
    def _merchant_configured(self) -> Self:
        self.merchant()  # a production service without its merchant refuses to start
        return self

    def merchant(self) -> tuple[str, str]:
        if self.vnpay_tmn_code and self.vnpay_hash_secret:
            return self.vnpay_tmn_code, self.vnpay_hash_secret.get_secret_value()
        if self.environment == "development":
            return DEV_MERCHANT
        raise ValueError("PAYMENT_VNPAY_TMN_CODE and PAYMENT_VNPAY_HASH_SECRET are required "
                         "(MOT_CUA_ENV=development alone uses the sandbox's merchant)")

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://127.0.0.1:{self.http_port}").rstrip("/")
