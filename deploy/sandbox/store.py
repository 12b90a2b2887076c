"""The sandboxes' record on disk, so that a killed sandbox comes back with it: a real
provider does not forget the charges, parcels and texts it took because one of its servers
died, and the chaos checks read that record (``GET /_sandbox/ledger``).

With ``SANDBOX_STATE_FILE`` set, each gateway's state (VNPay's transactions and the IPNs it
still owes, the carrier's orders and webhooks, eSMS's requests and delivery reports) is
written to that SQLite file (stdlib ``sqlite3``, WAL, synchronous writes) after every request
that reached the gateway and before the answer leaves, and after every tick of the clock; on
start each gateway reads its state back. Unset (tests serving the app in process), the
sandboxes keep everything in memory, as before.

What is stored is the gateway's own data, pickled: the file is written and read only by the
sandbox process of this machine's development stack, never by anything from outside.
"""

from __future__ import annotations

import itertools
import pickle
import re
import sqlite3
from pathlib import Path
from typing import Any

# The attributes of each gateway that make up its record (its switches and scripted answers
# are the test's business of the moment, not the provider's record).
PERSISTED: dict[str, tuple[str, ...]] = {
    "vnpay": ("now", "transactions", "deliveries", "request_ids", "_numbers"),
    "carrier": ("now", "orders", "by_client_code", "webhooks", "_serials"),
    "sms": ("now", "ledger", "accepted", "reports", "_ids"),
}
_COUNT = re.compile(r"^count\((\d+)\)$")


def _plain(value: Any) -> Any:
    """An ``itertools.count`` as the number it would give next (counters do not pickle on
    every Python); everything else as it is."""
    if isinstance(value, itertools.count):
        found = _COUNT.match(repr(value))
        if found is None:
            raise TypeError(f"a counter with a step: {value!r}")
        return ("count", int(found.group(1)))
    return value


def _live(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "count":
        return itertools.count(value[1])
    return value


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS gateway_state "
                         "(name TEXT PRIMARY KEY, state BLOB NOT NULL)")
        self._last: dict[str, bytes] = {}

    def restore(self, name: str, gateway: Any) -> bool:
        """Put the stored record back into ``gateway``; whether there was one."""
        row = self._db.execute("SELECT state FROM gateway_state WHERE name = ?",
                               (name,)).fetchone()
        if row is None:
            return False
        for attribute, value in pickle.loads(row[0]).items():  # noqa: S301 - our own file
            setattr(gateway, attribute, _live(value))
        self._last[name] = row[0]
        return True

    def save(self, name: str, gateway: Any) -> None:
        """Write ``gateway``'s record if it changed since the last write (committed when
        this returns)."""
        state = pickle.dumps({a: _plain(getattr(gateway, a)) for a in PERSISTED[name]})
        if self._last.get(name) == state:
            return
        self._db.execute("INSERT INTO gateway_state (name, state) VALUES (?, ?) "
                         "ON CONFLICT (name) DO UPDATE SET state = excluded.state",
                         (name, state))
        self._last[name] = state

    def close(self) -> None:
        self._db.close()
