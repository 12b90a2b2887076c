"""Templates as data, GOV.UK Notify's way: one TOML file per version under
``templates/<id>/v<N>.toml`` (``subject``, ``email``, ``sms``), placeholders ``((name))`` and
conditional text ``((name??text shown when name is true))``. No I/O but :func:`load`.

A message keeps its template id, version and values, so :func:`render` of the same three
gives back what it said, whatever versions were added since. SMS text is written with
diacritics and, unless the gateway is told Unicode, sent in GSM-7 without them (one 160-
character segment, as brandname SMS usually are); its segments are counted as operators bill.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Value = str | bool
_NAME = r"[a-z_][a-z0-9_]*"
PLACEHOLDER = re.compile(rf"\(\(({_NAME})\)\)")
# ((flag??text)): the text may hold placeholders and single parentheses, not conditionals.
CONDITIONAL = re.compile(
    rf"\(\(({_NAME})\?\?((?:[^()]|\((?!\()|\)(?!\))|\(\({_NAME}\)\))*?)\)\)")
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.toml$")
DEFAULT_DIR = Path(__file__).parent / "templates"

# GSM 03.38: the basic alphabet (one septet each) and its extension table (two: ESC + char).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


class TemplateError(ValueError):
    """A template that cannot be loaded or rendered; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subject: str = Field(min_length=1)
    email: str = Field(min_length=1)
    sms: str = Field(min_length=1)
    description: str = ""


@dataclass(frozen=True)
class Template:
    id: str
    version: int
    subject: str
    email: str
    sms: str

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset().union(*(names_in(text)
                                   for text in (self.subject, self.email, self.sms)))


@dataclass(frozen=True)
class Sms:
    text: str
    encoding: str  # "gsm7" or "ucs2"
    segments: int


@dataclass(frozen=True)
class Rendered:
    subject: str
    email: str
    sms: Sms


@dataclass(frozen=True)
class Templates:
    versions: Mapping[str, Mapping[int, Template]]

    def latest(self, template_id: str) -> Template:
        if template_id not in self.versions:
            raise TemplateError([f"no template {template_id!r}"])
        found = self.versions[template_id]
        return found[max(found)]

    def get(self, template_id: str, version: int) -> Template:
        try:
            return self.versions[template_id][version]
        except KeyError:
            raise TemplateError([f"no template {template_id!r} version {version}"]) from None


def load(directory: Path = DEFAULT_DIR) -> Templates:
    """Every version of every template under ``directory``; TemplateError naming each bad
    file (unknown keys, a missing text, not TOML, a version not named ``v<N>.toml``)."""
    versions: dict[str, dict[int, Template]] = {}
    problems: list[str] = []
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            found = _VERSION_FILE.match(path.name)
            if not found:
                problems.append(f"{folder.name}/{path.name}: not a version file (v<N>.toml)")
                continue
            try:
                data = _File.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, ValidationError) as error:
                problems.append(f"{folder.name}/{path.name}: {error}")
                continue
            nfc = {k: unicodedata.normalize("NFC", v) for k, v in
                   data.model_dump(include={"subject", "email", "sms"}).items()}
            version = int(found.group(1))
            versions.setdefault(folder.name, {})[version] = Template(folder.name, version, **nfc)
    if problems:
        raise TemplateError(problems)
    return Templates(versions)


def fill(text: str, values: Mapping[str, Value]) -> str:
    """``text`` with its conditionals and placeholders replaced; TemplateError for a
    placeholder without a value (a message never goes out with ``((name))`` in it)."""
    missing = sorted(names_in(text) - set(values))
    if missing:
        raise TemplateError([f"no value for (({name}))" for name in missing])
    shown = CONDITIONAL.sub(lambda m: m.group(2) if values[m.group(1)] else "", text)
    return PLACEHOLDER.sub(lambda m: _text(values[m.group(1)]), shown)


def names_in(text: str) -> frozenset[str]:
    """The placeholders of ``text``: conditionals' names and plain ``((name))`` alike."""
    return frozenset(m.group(1) for m in CONDITIONAL.finditer(text)) | frozenset(
        PLACEHOLDER.findall(text))


def render(template: Template, values: Mapping[str, Value], *, unicode_sms: bool = False
           ) -> Rendered:
    subject = " ".join(fill(template.subject, values).split())
    return Rendered(subject=subject, email=fill(template.email, values).strip() + "\n",
                    sms=sms_text(fill(template.sms, values), unicode=unicode_sms))


def sms_text(text: str, *, unicode: bool) -> Sms:
    """The SMS as sent: one line of words, in GSM-7 without diacritics (characters GSM-7
    lacks even then become ``?``), or UCS-2 as written; and its segments."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if unicode:
        units = len(text.encode("utf-16-le")) // 2
        return Sms(text, "ucs2", 1 if units <= 70 else math.ceil(units / 67))
    plain = "".join(c if c in GSM_BASIC or c in GSM_EXTENDED else "?"
                    for c in strip_diacritics(text))
    septets = len(plain) + sum(c in GSM_EXTENDED for c in plain)
    return Sms(plain, "gsm7", 1 if septets <= 160 else math.ceil(septets / 153))


def strip_diacritics(text: str) -> str:
    """Vietnamese without its marks: decompose, drop the combining marks, đ → d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def check(templates: Templates, known: Mapping[str, frozenset[str]], *,
          unicode_sms: bool = False, max_segments: int = 3) -> None:
    """At start-up: every template the letters use exists, each placeholder of each version
    is one its letter provides, and each version renders in both channels (an SMS in at most
    ``max_segments``, its GSM-7 text free of ``?``). TemplateError listing every problem."""
    problems: list[str] = []
    for template_id, fields in sorted(known.items()):
        if template_id not in templates.versions:
            problems.append(f"{template_id}: no template file")
            continue
        for version, template in sorted(templates.versions[template_id].items()):
            where = f"{template_id}/v{version}"
            unknown = sorted(template.placeholders - fields)
            if unknown:
                problems.append(f"{where}: unknown placeholders {unknown}; known: "
                                f"{sorted(fields)}")
                continue
            for truth in (True, False):
                values = {name: truth if truth is False else "x" for name in fields}
                problems.extend(_renders(where, template, values, unicode_sms, max_segments))
    if problems:
        raise TemplateError(problems)


def _renders(where: str, template: Template, values: Mapping[str, Value], unicode_sms: bool,
             max_segments: int) -> list[str]:
    try:
        rendered = render(template, values, unicode_sms=unicode_sms)
    except TemplateError as error:
        return [f"{where}: {p}" for p in error.problems]
    problems = []
    if not rendered.subject or not rendered.email.strip() or not rendered.sms.text:
        problems.append(f"{where}: renders empty")
    if "?" in rendered.sms.text and "?" not in template.sms:
        problems.append(f"{where}: SMS has characters GSM-7 cannot send")
    if rendered.sms.segments > max_segments:
        problems.append(f"{where}: SMS takes {rendered.sms.segments} segments "
                        f"(at most {max_segments})")
    return problems


def _text(value: Value) -> str:
    return ("có" if value else "không") if isinstance(value, bool) else value
