from services.notification.bootstrap import SPEC
from services.notification.settings import NotificationSettings
from shared.runtime.service import run

run(SPEC, NotificationSettings())
