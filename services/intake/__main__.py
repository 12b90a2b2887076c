from services.intake.bootstrap import SPEC
from services.intake.settings import IntakeSettings
from shared.runtime.service import run

run(SPEC, IntakeSettings())
