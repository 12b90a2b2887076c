from services.processing.bootstrap import SPEC
from services.processing.settings import ProcessingSettings
from shared.service import run

run(SPEC, ProcessingSettings())
