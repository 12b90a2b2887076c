from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from shared.runtime import effects
from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config


class NotificationSettings(ServiceSettings, effects.EffectSettings):
    """``NOTIFICATION_MAX_ATTEMPTS`` … govern the emails and the SMS alike."""

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
        description="How long to wait for the SMTP server before giving up on an email (it "
                    "is retried later).")

    sms_gateway_url: str = Field(
        "http://127.0.0.1:8100/sms", validation_alias=AliasChoices("SMS_GATEWAY_URL"),
        description="The eSMS REST base (https://rest.esms.vn in production; the sandbox's "
                    "/sms in development).")
    sms_api_key: SecretStr = Field(SecretStr("MOTCUA-DEV-APIKEY"),
                                   validation_alias=AliasChoices("SMS_API_KEY"))
    sms_secret_key: SecretStr = Field(SecretStr("MOTCUA-DEV-SECRET"),
                                      validation_alias=AliasChoices("SMS_SECRET_KEY"))
    sms_brandname: str = Field("MOTCUA", validation_alias=AliasChoices("SMS_BRANDNAME"))
    sms_timeout_s: float = Field(10.0, gt=0)
    sms_unicode: bool = Field(
        False, description="Send SMS in Unicode (UCS-2, with diacritics, 70 characters a "
                           "segment) instead of GSM-7 without diacritics (160).")
    sms_report_token: SecretStr | None = Field(
        None, description="The secret path token of the delivery-report endpoint (eSMS does "
                          "not sign its callbacks). Unset: a random one per process.")
    sms_status_after_s: float = Field(
        300.0, gt=0, allow_inf_nan=False,
        description="An SMS still sending this long after it was accepted (its delivery "
                    "report lost) is asked about (eSMS GetSendStatus), and this often again "
                    "until eSMS says delivered or rejected.")
    public_url: str | None = Field(
        None, description="Where the SMS gateway reaches this service (the delivery-report "
                          "callback); default http://127.0.0.1:<http_port>.")
    operator_token: SecretStr | None = Field(
        None, description="Bearer credential of GET /v1/messages (personal data). Unset: "
                          "the messages API answers 401 to everyone.")
    approver_emails: dict[str, str] = Field(
        default_factory=dict, description="Department code -> the approver's email, for the "
                                          "at-risk and overdue alerts (JSON).")
    attach_forms: bool = Field(
        True, description="Attach the printed form (PDF) to the email that announces it: "
                          "the receipt, the supplement request, the refusal, the apology. Each "
                          "costs 0.1-0.3 s of CPU at send time; off sheds it, also for the "
                          "emails already queued.")
    tracking_url: str | None = Field(
        None, description="The citizen's tracking page with {code} (e.g. "
                          "https://motcua.example/citizen/track?code={code}), printed with a "
                          "QR code on the attached receipt; unset: printed without it.")
    template_dir: str | None = Field(None, description="Templates folder (default: the "
                                                        "package's own templates/).")

    @field_validator("sms_report_token", "operator_token", "public_url", "template_dir",
                     "tracking_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("sms_api_key", "sms_secret_key", mode="before")
    @classmethod
    def _empty_is_the_sandbox_account(cls, value: object, info: object) -> object:
        if value == "":
            name = getattr(info, "field_name", "")
            return "MOTCUA-DEV-APIKEY" if name == "sms_api_key" else "MOTCUA-DEV-SECRET"
        return value
