"""The launcher's restart policy, driven by a clock the test controls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.local.supervision import GiveUp, RestartBook, RestartPolicy, write_status

POLICY = RestartPolicy(initial_delay_s=0.5, max_delay_s=4.0, stable_after_s=30.0,
                       max_restarts=5, window_s=60.0)


def test_backoff_doubles_while_the_part_keeps_dying_and_is_capped() -> None:
    book = RestartBook("payment", POLICY)
    now = 0.0
    book.started(now)
    delays = []
    for _ in range(5):
        now += 1.0  # dies a second after each start
        delay = book.exited(now, "ended by SIGKILL")
        delays.append(delay)
        now += delay
        book.started(now)
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert book.restarts == 5
    assert book.last_exit == "ended by SIGKILL"


def test_a_part_that_ran_long_enough_starts_again_quickly() -> None:
    book = RestartBook("postal", POLICY)
    book.started(0.0)
    assert book.exited(1.0, "exit code 1") == 0.5
    book.started(1.5)
    assert book.exited(2.0, "exit code 1") == 1.0
    book.started(3.0)
    assert book.exited(3.0 + 30.0, "exit code 1") == 0.5  # it was stable: backoff reset


def test_more_restarts_than_the_limit_within_the_window_gives_up() -> None:
    book = RestartBook("notification", POLICY)
    for i in range(5):
        book.started(float(i))
        book.exited(float(i) + 0.1, "exit code 1")
    book.started(5.0)
    with pytest.raises(GiveUp, match=r"notification exited .* after 5 restarts within 60 s"):
        book.exited(5.1, "exit code 1")
    assert book.restarts == 5


def test_restarts_older_than_the_window_no_longer_count() -> None:
    book = RestartBook("intake", POLICY)
    for i in range(5):
        book.started(float(i))
        book.exited(float(i) + 0.1, "ended by SIGKILL")
    assert book.restarts_in_window(10.0) == 5
    assert book.restarts_in_window(64.0) == 1  # only the one at 4.1 s is within 60 s
    book.started(70.0)
    assert book.exited(70.5, "ended by SIGKILL") == 4.0  # not given up; still backing off
    assert book.restarts == 6  # the limit counts the window, the total keeps growing


def test_the_status_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_status(path, {"kafka": {"pid": 1, "restarts": 2}})
    write_status(path, {"kafka": {"pid": 3, "restarts": 3}})
    assert json.loads(path.read_text()) == {"parts": {"kafka": {"pid": 3, "restarts": 3}}}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]
