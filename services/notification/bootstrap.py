"""Notification's composition root: the templates (checked before anything starts: a bad
template stops the service), the SMTP mailer, the eSMS gateway, and an effect per channel
(and the SMS status query, for a delivery report that never came)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from operator import attrgetter
from pathlib import Path

import httpx
import structlog

from services.notification import api, effects, templating
from services.notification.adapters.mailer import Mailer
from services.notification.adapters.sms import EsmsAccount, EsmsGateway
from services.notification.consumers import subscriptions
from services.notification.deps import NotificationDeps, Writing
from services.notification.letters import known_placeholders
from services.notification.settings import NotificationSettings
from shared.forms import font_subsetter
from shared.runtime.service import Platform, ServiceSpec

REPORTS_PATH = "/v1/sms/delivery-reports"
log = structlog.get_logger(__name__)


def writing_of(settings: NotificationSettings) -> Writing:
    """The templates, loaded and checked: every letter's template exists, each placeholder of
    each version is known, each renders in both channels; TemplateError otherwise."""
    folder = Path(settings.template_dir) if settings.template_dir else templating.DEFAULT_DIR
    templates = templating.load(folder)
    templating.check(templates, known_placeholders(), unicode_sms=settings.sms_unicode)
    return Writing(templates=templates, unicode_sms=settings.sms_unicode,
                   approvers=dict(settings.approver_emails), tracking_url=settings.tracking_url)


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[NotificationDeps]:
    settings: NotificationSettings = platform.settings
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    writing = writing_of(settings)
    if settings.attach_forms and (subsetter := font_subsetter()) != "harfbuzz":
        log.warning("forms.slow_font_subsetting", subsetter=subsetter,
                    reason="libharfbuzz-subset0 is missing: every attached PDF costs ~4x the "
                           "CPU", fix="make fonts (or apt-get install libharfbuzz-subset0)")
    report_token = (settings.sms_report_token.get_secret_value() if settings.sms_report_token
                    else secrets.token_urlsafe(24))
    public_url = settings.public_url or f"http://127.0.0.1:{settings.http_port}"
    mailer = Mailer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                    username=settings.smtp_username, password=password,
                    starttls=settings.smtp_starttls, timeout_s=settings.smtp_timeout_s)
    account = EsmsAccount(settings.sms_api_key.get_secret_value(),
                          settings.sms_secret_key.get_secret_value(), settings.sms_brandname)
    try:
        async with httpx.AsyncClient(base_url=settings.sms_gateway_url,
                                     timeout=settings.sms_timeout_s) as client:
            retry, gateway = settings.retry(), EsmsGateway(client, account)
            yield NotificationDeps(
                transactions=platform.transactions, writing=writing,
                operator_token=(settings.operator_token.get_secret_value()
                                if settings.operator_token else None),
                report_token=report_token,
                effects=(effects.emails(mailer, retry, attach_forms=settings.attach_forms),
                         effects.sms(gateway, retry,
                                     callback_url=f"{public_url}{REPORTS_PATH}/{report_token}"),
                         effects.sms_status(gateway, retry,
                                            after_s=settings.sms_status_after_s)))
    finally:
        await asyncio.to_thread(mailer.close)  # QUIT on the kept connection, off the loop


SPEC = ServiceSpec(
    name="notification",
    title="Một Cửa — notification",
    description="Tells citizens by email and SMS when their dossier moves, from versioned "
                "templates, and follows each message to delivered or failed (GOV.UK Notify's "
                "statuses): a preview of templates, the messages API for officers and "
                "operators, and the SMS gateway's delivery reports.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    routers=[api.router],
    effects=attrgetter("effects"),
)
