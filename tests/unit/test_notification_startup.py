"""Notification refuses to start on a bad template: the composition root loads and checks the
templates before anything else (``bootstrap.writing_of``)."""

from __future__ import annotations

import shutil

import pytest

from services.notification import templating
from services.notification.bootstrap import writing_of
from services.notification.settings import NotificationSettings
from services.notification.templating import TemplateError


def test_the_repository_templates_start(tmp_path) -> None:
    writing = writing_of(NotificationSettings(approver_emails={"tp": "a@motcua.local"}))
    assert writing.templates.latest("withdrawn").version >= 1
    assert writing.approvers == {"tp": "a@motcua.local"}


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("v2.toml", 'subject = "((nobody))"\nemail = "x"\nsms = "x"\n', "unknown placeholders"),
    ("v2.toml", 'subject = "x"\nemail = "x"\n', "sms"),
    ("v2.toml", 'subject = "x\n', "withdrawn/v2.toml"),
    ("draft.toml", 'subject = "x"\nemail = "x"\nsms = "x"\n', "not a version file"),
])
def test_a_bad_template_stops_the_service(tmp_path, name: str, text: str, problem: str) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(templating.DEFAULT_DIR, folder)
    (folder / "withdrawn" / name).write_text(text)
    with pytest.raises(TemplateError) as refused:
        writing_of(NotificationSettings(template_dir=str(folder)))
    assert any(problem in found for found in refused.value.problems), refused.value.problems
