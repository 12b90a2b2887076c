"""``python -m services.reporting`` serves; ``rebuild`` rebuilds the read model from the
topics; ``what-if`` answers a what-if on the recorded timelines."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from services.reporting.settings import ReportingSettings


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.reporting")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (the default)")
    commands.add_parser("rebuild", help="replay the topics into a fresh schema, then switch")
    what = commands.add_parser("what-if", help="which dossiers would have been late under a "
                                               "proposed committed time")
    what.add_argument("--procedure", required=True)
    choice = what.add_mutually_exclusive_group(required=True)
    choice.add_argument("--days", type=int)
    choice.add_argument("--catalog-version")
    what.add_argument("--agency", help="only this agency's dossiers (its code, e.g. VTH)")
    what.add_argument("--from", dest="start", type=date.fromisoformat)
    what.add_argument("--to", dest="end", type=date.fromisoformat)
    what.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    settings = ReportingSettings()
    if args.command == "rebuild":
        from services.reporting import rebuild

        return rebuild.main(settings)
    if args.command == "what-if":
        from services.reporting import whatif_cli

        return whatif_cli.main(settings, procedure=args.procedure, days=args.days,
                               catalog_version=args.catalog_version, agency=args.agency,
                               start=args.start,
                               end=args.end, as_json=args.json)
    from services.reporting.bootstrap import SPEC
    from shared.runtime.service import run

    run(SPEC, settings)
    return 0


sys.exit(main(sys.argv[1:]))
