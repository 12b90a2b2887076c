from services.postal.bootstrap import SPEC
from services.postal.settings import PostalSettings
from shared.runtime.service import run

run(SPEC, PostalSettings())
