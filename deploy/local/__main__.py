"""python -m deploy.local: the whole system on this machine; Ctrl-C stops it.

PostgreSQL, the Tansu broker and an SMTP sink are started unless DATABASE_URL,
KAFKA_BOOTSTRAP_SERVERS or SMTP_HOST name external ones; then the development sandbox
gateways and the five services, each as its own process with its log in <data dir>/log/.
Once all are ready it prints their URLs, and a line "MOT_CUA_READY <json>" for scripts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from deploy.local.children import child_specs, missing_modules
from deploy.local.config import StackConfig, port_is_free
from deploy.local.launcher import Stack, say


def default_data_dir() -> Path:
    """``var/`` in the checkout (git-ignored), else in the current folder."""
    checkout = Path(__file__).resolve().parents[2]
    return (checkout if (checkout / "pyproject.toml").exists() else Path.cwd()) / "var"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(env["MOT_CUA_DATA_DIR"]) if env.get("MOT_CUA_DATA_DIR")
                        else default_data_dir(),
                        help="database, mail and logs (env MOT_CUA_DATA_DIR; default var/)")
    parser.add_argument("--ports-from", type=int, metavar="N",
                        default=int(env["MOT_CUA_PORT_BASE"]) if env.get("MOT_CUA_PORT_BASE")
                        else None,
                        help="use free ports from N up instead of the defaults, 0 for any free "
                        "ports (env MOT_CUA_PORT_BASE); a port's own variable still wins")
    parser.add_argument("--ready-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="how long every process may take to become ready (default 60)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    args = parse_args(argv)
    cfg = StackConfig.from_env(os.environ, args.data_dir, args.ports_from, args.ready_timeout)
    specs = child_specs(cfg)
    missing = missing_modules(specs)
    if missing:
        say("cannot start: no runnable module " + ", ".join(missing)
            + " (python -m <module> needs a module or a package with __main__.py)")
        return 2
    busy = {name: port for name, port in cfg.ports_to_bind().items() if not port_is_free(port)}
    if busy:
        say("cannot start: ports in use: "
            + ", ".join(f"{name} {port}" for name, port in busy.items())
            + ". Is another `make run` running? --ports-from N picks free ports.")
        return 1
    return Stack(cfg, specs).run()


if __name__ == "__main__":
    sys.exit(main())
