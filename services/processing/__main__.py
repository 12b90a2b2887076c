from services.processing.bootstrap import SPEC
from services.processing.settings import ProcessingSettings
from shared.runtime.service import run

run(SPEC, ProcessingSettings())
