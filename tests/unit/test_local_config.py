"""The embedded stack's environment for its children."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local.config import TANSU_FETCH_WAIT_MS, StackConfig


def _config(tmp_path: Path, **env: str) -> StackConfig:
    return StackConfig.from_env(env, tmp_path, ports_from=0, ready_timeout=5)


def test_on_the_embedded_broker_the_hops_to_a_department_ask_for_a_short_fetch_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTAKE_CONSUMER_FETCH_WAIT_MS", raising=False)
    monkeypatch.setenv("PROCESSING_CONSUMER_FETCH_WAIT_MS", "50")  # the operator's value wins
    env = _config(tmp_path).child_env("postgresql://db", "127.0.0.1:9092")
    assert env["INTAKE_CONSUMER_FETCH_WAIT_MS"] == str(TANSU_FETCH_WAIT_MS)
    assert env["PROCESSING_CONSUMER_FETCH_WAIT_MS"] == "50"
    assert "NOTIFICATION_CONSUMER_FETCH_WAIT_MS" not in env


def test_an_external_broker_keeps_the_default_fetch_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("INTAKE_CONSUMER_FETCH_WAIT_MS", "PROCESSING_CONSUMER_FETCH_WAIT_MS"):
        monkeypatch.delenv(name, raising=False)
    config = _config(tmp_path, KAFKA_BOOTSTRAP_SERVERS="kafka:9092")
    env = config.child_env("postgresql://db", "kafka:9092")
    assert "INTAKE_CONSUMER_FETCH_WAIT_MS" not in env
    assert "PROCESSING_CONSUMER_FETCH_WAIT_MS" not in env


def test_intake_checks_officers_tokens_with_the_key_processing_signs_them_with(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROCESSING_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("INTAKE_OFFICER_TOKEN_SECRET", raising=False)
    env = _config(tmp_path).child_env("postgresql://db", "127.0.0.1:9092")
    assert len(env["PROCESSING_TOKEN_SECRET"]) >= 32
    assert env["INTAKE_OFFICER_TOKEN_SECRET"] == env["PROCESSING_TOKEN_SECRET"]
    monkeypatch.setenv("PROCESSING_TOKEN_SECRET", "k" * 40)  # the launcher's own environment
    given = _config(tmp_path).child_env("postgresql://db", "127.0.0.1:9092")
    assert given["INTAKE_OFFICER_TOKEN_SECRET"] == "k" * 40
