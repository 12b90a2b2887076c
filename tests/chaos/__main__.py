"""``python -m tests.chaos --dossiers N``: a chaos run (see tests/chaos/harness.py); prints
its table, and with ``--record`` writes it into docs/reliability.md. Exit 1 when it fails."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.chaos.harness import Plan, run, table

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
BEGIN, END = "<!-- chaos-table -->", "<!-- /chaos-table -->"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--kill-every", type=float, default=3.0, metavar="SECONDS")
    parser.add_argument("--final-timeout", type=float, default=900.0, metavar="SECONDS")
    parser.add_argument("--record", action="store_true", help="write the table into " + str(DOC))
    args = parser.parse_args()
    plan = Plan(dossiers=args.dossiers, kill_every_s=args.kill_every,
                final_timeout_s=args.final_timeout,
                kills=("payment", "kafka", "notification", "processing", "postgres", "intake",
                       "postal", "sandbox", "payment", "notification", "processing", "intake",
                       "postal"))
    with tempfile.TemporaryDirectory(prefix="mot-cua-chaos-") as tmp:
        result = run(plan, Path(tmp) / "stack")
    text = table(result)
    print(text)
    for line in result.stuck[:20]:
        print(f"  stuck: {line}")
    for line in result.errors[:20]:
        print(f"  error: {line}")
    for line in [*result.timelines_differing, *result.delivery_states_differing][:10]:
        print(f"  timeline: {line}")
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        block = f"{BEGIN}\nLatest full run ({stamp}, {args.dossiers} dossiers):\n\n{text}\n{END}"
        doc = DOC.read_text()
        DOC.write_text(doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):])
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
