"""One chaos run: the stack as ``make run`` starts it, dossiers submitted over HTTP and Kafka
by portals, officers and citizens acting on them, and a killer sending SIGKILL to a part of
the stack every few seconds (the launcher is expected to bring each back). Then it waits
until every dossier is final and checks from sources outside the services: the sandboxes'
ledgers, the SMTP sink's folder, and Kafka read with a client of its own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email
import email.policy
import hashlib
import itertools
import json
import os
import secrets
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from deploy import ops
from deploy.sandbox.sms import REPORT_SCENARIOS as SMS_REPORT_CASES
from deploy.sandbox.sms import SCENARIOS as SMS_SEND_CASES
from shared.contracts import events
from shared.contracts.topics import (
    DOSSIER_EVENTS,
    NOTIFICATION_EVENTS,
    PAYMENT_EVENTS,
    POSTAL_EVENTS,
)
from shared.portal.client import publish_and_wait, signed_request
from shared.runtime.outbox import BrokerIncarnation
from shared.runtime.settings import with_database
from tests.bench.citizens import TXN_REF, Citizens
from tests.bench.department import DepartmentClient, Refused
from tests.bench.measures import ServiceDatabases
from tests.bench.observer import Observer
from tests.bench.stack import running_stack
from tests.bench.submissions import SubmissionFactory, pdf
from tests.support import wait_until

PORTAL_ID = "chaos-portal"
SERVICES = ("intake", "processing", "payment", "postal", "notification")
PARTS = (*SERVICES, "kafka", "postgres", "sandbox", "smtp-sink")
GROUPS = (*SERVICES, "reporting", "intake.portal.submissions")  # every consumer group


# --- The scenario of each dossier: what its citizen, portal and officers do -----------------
# Deterministic in the submission's number, so that the calm baseline's dossier of the same
# scenario is expected to have the same timeline.

SMS_CASES = frozenset([*SMS_SEND_CASES, *SMS_REPORT_CASES])  # the eSMS sandbox's numbers


def sms_consent(n: int) -> bool:
    """A third of the applicants choose SMS besides email, and so do those whose number is
    one of the eSMS sandbox's scenarios (refused, rejected, never delivered)."""
    return n % 3 == 0 or f"{n:04d}"[-4:] in SMS_CASES


def declines_first(n: int) -> bool:
    """One in ten of those with a fee (even numbers) declines once before paying."""
    return n % 2 == 0 and (n // 2) % 10 == 3


def asked_for_supplement(n: int) -> bool:
    """One in five is asked for a supplement by the specialist, which the citizen provides."""
    return n % 5 == 1


def number_of(submission_id: str) -> int:
    return int(submission_id.rsplit("-", 1)[1])


def submission(factory: SubmissionFactory, n: int) -> dict[str, Any]:
    body = factory.submission(n)
    body["applicant"]["channels"] = ["email", "sms"] if sms_consent(n) else ["email"]
    return body


def scenario(body: dict[str, Any], procedures: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    """What a dossier's timeline depends on: the shape of its procedure (a fee or not,
    accepted by an officer or not, a separate approver or not, what a supplement does to the
    deadline), how the result goes back, the channels and the eSMS scenario of the number,
    whether the citizen declines once, whether a supplement is asked for. Not the procedure
    itself (its department names a topic, not an event), not HTTP or Kafka, not the rest of
    its number: one calm dossier of each scenario is enough."""
    n = number_of(body["portal_submission_id"])
    procedure = procedures[body["procedure_code"]]
    applicant = body["applicant"]
    sms = "sms" in applicant["channels"]
    case = applicant["phone"][-4:] if sms and applicant["phone"][-4:] in SMS_CASES else ""
    return (procedure["fee"] > 0, procedure["auto_accept"], procedure["separate_approval"],
            procedure["supplement_policy"], body["return_method"], sms, case,
            declines_first(n), asked_for_supplement(n))


@dataclass(frozen=True)
class Plan:
    dossiers: int = 100
    kafka_every: int = 10  # one submission in this many goes over Kafka, the rest over HTTP
    kill_every_s: float = 4.0
    kills: tuple[str, ...] = ("payment", "kafka", "notification", "postgres", "processing",
                              "intake", "postal")
    portals: int = 8  # HTTP portals submitting concurrently
    final_timeout_s: float = 300.0
    calm_baseline: bool = True  # first one dossier of each scenario without kills
    signal: int = signal.SIGKILL  # SIGTERM: the way compose stops a container


@dataclass
class Result:
    plan: Plan
    kills: Counter[str] = field(default_factory=Counter)
    restarts: dict[str, int] = field(default_factory=dict)
    submitted: int = 0
    final: int = 0
    stuck: list[str] = field(default_factory=list)
    effects: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    emails_sent_again: int = 0
    calm_dossiers: int = 0  # the calm baseline: one dossier of each scenario, before the kills
    timelines_compared: int = 0
    timelines_differing: list[str] = field(default_factory=list)
    # Dossiers whose timeline differs only in a message's delivery state: a report the eSMS
    # sandbox gave up on (five tries) while notification was down, which nothing asks for
    # again. Shown, not bounded: see docs/reliability.md.
    delivery_states_differing: list[str] = field(default_factory=list)
    # Dossiers whose parcel skipped an intermediate carrier state (see _overtaken). Shown, not
    # bounded: the final state and every event before the parcel's moves are still compared.
    carrier_states_overtaken: list[str] = field(default_factory=list)
    # Dossiers whose declined first payment was overtaken by the paid second (see
    # _decline_overtaken). Shown, not bounded.
    declines_overtaken: list[str] = field(default_factory=list)
    supplements: int = 0  # supplements the citizens provided
    calm_s: float = 0.0  # how long the calm baseline took
    with_fee: int = 0  # dossiers with a fee, the calm baseline's included: each paid once
    ipn_retries: int = 0  # IPNs the bank sent again (fast-forwarded) after no answer
    email_bound: int = 0
    longest_stall_s: float = 0.0
    duration_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (not self.stuck and self.final == self.submitted
                and not any(self.duplicates.values())
                and self.emails_sent_again <= self.email_bound
                and not self.timelines_differing
                and (not self.calm_dossiers or self.timelines_compared == self.submitted))


class ChaosObserver(Observer):
    """The benchmark's observer, reading from the earliest offset again when the broker it
    follows was reset (its positions are then past the new, empty logs), and noting when the
    last event arrived (the longest stall)."""

    AUTO_OFFSET_RESET = "earliest"
    TOPICS = (DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS, NOTIFICATION_EVENTS)
    # Events after which an officer may have a step to take though no work item changed: the
    # officers are told at once rather than at their next look at the queue.
    NEXT_STEP_WITHOUT_WORK_ITEM = frozenset({"PaymentCompleted", "DossierProcessingResumed"})

    def __init__(self, *args: Any, supplements: Supplements, **kwargs: Any) -> None:
        super().__init__(*args, fetch_wait_ms=100, **kwargs)
        self.arrivals: list[float] = []
        self.last_event: dict[str, str] = {}  # dossier code -> the last event type seen
        self.resets = 0
        # dossier code -> the family of events (a topic) -> its entries, each event once
        self.timelines: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._event_ids: set[str] = set()
        self._supplements = supplements

    async def __aenter__(self) -> ChaosObserver:
        self._incarnation = BrokerIncarnation(self._bootstrap, "chaos-observer")
        self._seen_incarnation = await self._incarnation()
        await super().__aenter__()
        return self

    def _followers(self) -> list[Coroutine[None, None, None]]:
        return [self._follow_through_resets(), self._watch_resets()]

    async def __aexit__(self, *exc: object) -> None:
        await super().__aexit__(*exc)
        await self._incarnation.close()

    async def _watch_resets(self) -> None:
        """A reset broker's logs start again at offset 0, and soon pass the positions this
        consumer had: without a seek it would skip the records republished there."""
        while True:
            await asyncio.sleep(0.5)  # the pace of the watch, not synchronisation
            with contextlib.suppress(Exception):
                current = await self._incarnation()
                if current is not None and current != self._seen_incarnation:
                    self._seen_incarnation = current
                    self.resets += 1
                    for partition in self._partitions:
                        self._consumer.seek(partition, 0)

    async def _follow_through_resets(self) -> None:
        while True:
            try:
                await self._follow()
            except Exception:  # the broker went away mid-fetch: follow it when it is back
                await asyncio.sleep(0.5)  # pacing reconnects, not synchronisation

    def _note(self, envelope: dict[str, Any], now: float) -> None:
        self.arrivals.append(now)
        kind, payload = envelope["event_type"], envelope["payload"]
        code = payload.get("dossier_code") or envelope.get("dossier_code")
        self.last_event[code] = kind
        if envelope["event_id"] not in self._event_ids:  # a replay is not a new event
            self._event_ids.add(envelope["event_id"])
            family, entry = timeline_entry(envelope)
            self.timelines[code][family].append(entry)
        if kind == "SupplementRequested":
            self._departments.requested.add(code)  # type: ignore[attr-defined]
            self._supplements.notice(code, payload["missing"])
        if kind in self.NEXT_STEP_WITHOUT_WORK_ITEM:
            self._departments.nudge(code, kind)  # type: ignore[attr-defined]
        super()._note(envelope, now)

    def timeline(self, code: str) -> dict[str, list[str]]:
        """The dossier's timeline without times: each topic's events in the order that topic
        holds them (one partition per dossier), de-duplicated by event id. Notification's
        messages go out on independent channels, so their events are compared as a set;
        the order across topics is only the order of arrival here, a matter of time too."""
        found = {family: list(entries) for family, entries in self.timelines[code].items()}
        for family in (NOTIFICATION_EVENTS, DELIVERY_STATES):
            if family in found:
                found[family].sort()
        return found


DELIVERY_STATES = "delivery states"  # of each message: what the providers reported

_TOPIC_OF = {cls.__name__: cls.topic for cls in vars(events).values()
             if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event}


def timeline_entry(envelope: dict[str, Any]) -> tuple[str, str]:
    """(topic family, entry): the event's type, with the state it moved to where the type
    alone does not say (a work item's, a parcel's, a message's)."""
    kind, payload = envelope["event_type"], envelope["payload"]
    topic = _TOPIC_OF.get(kind, "unknown")
    family = "department work" if topic.startswith("department.") else topic
    if kind == "NotificationStatusChanged":
        family = DELIVERY_STATES
    detail = [payload[k] for k in ("channel", "template", "status") if k in payload]
    return family, ":".join([kind, *map(str, detail)])


class _Busy(Exception):
    """The service answered 5xx or could not be reached: the same step, a little later."""


class PatientDepartments(DepartmentClient):
    """Officers who look before they act: on each notice of a work item they read the
    dossier as each role and take the step its ``allowed_actions`` offer, until none is
    left for them (the dossier then waits for the citizen, or is decided). A replayed notice
    costs a read, never a second step; a step that met an error of the server (its database
    was restarting) or no server at all is tried again a little later."""

    ORDER = (("intake", "accept"), ("specialist", "start"), ("specialist", "approve"),
             ("specialist", "propose"), ("approver", "approve"))

    def __init__(self, *args: Any, supplement_for: Callable[[str], str | None],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known: dict[str, str] = {}  # dossier code -> its department
        self._supplement_for = supplement_for  # dossier code -> the document to ask for
        self.requested: set[str] = set()  # dossiers whose supplement request was made

    def notice(self, code: str, department: str, status: str) -> None:
        self.known[code] = department
        self._work.put_nowait((code, department, status))

    def nudge(self, code: str, why: str) -> None:
        """Something happened to a dossier this department holds: look at it again."""
        if code in self.known:
            self._work.put_nowait((code, self.known[code], why))

    async def look_at_queue(self, final: dict[str, float], every_s: float = 5.0) -> None:
        """As officers open their queue now and then: a dossier whose next step came without
        a new work-item status (its fee was paid meanwhile) is looked at again."""
        while True:
            await asyncio.sleep(every_s)  # the officers' rhythm, not synchronisation
            if self._work.empty():
                for code, department in list(self.known.items()):
                    if code not in final:
                        self._work.put_nowait((code, department, "queue"))

    async def _officer(self) -> None:
        while True:
            code, department, _status = await self._work.get()
            for attempt in range(120):
                try:
                    await self._advance(code, department)
                    break
                except (httpx.HTTPError, _Busy):
                    await asyncio.sleep(min(0.5 * (attempt + 1), 3.0))  # an officer's patience
                except Refused as refused:
                    self.errors.append(f"{code}: {refused}")
                    break
                except Exception as error:  # an officer who met the unexpected goes on
                    self.errors.append(f"{code}: {error!r}"[:300])
                    break

    async def _advance(self, code: str, department: str) -> None:
        for _ in range(len(self.ORDER)):
            step = await self._next_step(code, department)
            if step is None:
                return
            role, action = step
            await self._do(code, department, role, action)

    async def _next_step(self, code: str, department: str) -> tuple[str, str] | None:
        allowed: dict[str, list[str]] = {}
        for role in dict.fromkeys(r for r, _ in self.ORDER):
            try:
                headers = await self._auth(department, role)
            except Refused:
                continue  # no such account in this department
            view = await self._http.get(f"/v1/dossiers/{code}", headers=headers)
            if view.status_code == 401:
                self._tokens.pop((department, role), None)
                raise _Busy(401)
            if view.status_code >= 500:
                raise _Busy(view.status_code)
            if view.status_code == 200:
                allowed[role] = view.json()["allowed_actions"]
        if ("request_supplement" in allowed.get("specialist", ())
                and code not in self.requested and self._supplement_for(code) is not None):
            return "specialist", "request_supplement"
        return next(((r, a) for r, a in self.ORDER if a in allowed.get(r, ())), None)

    async def _do(self, code: str, department: str, role: str, action: str) -> None:
        body: dict[str, Any] = {"action": action}
        if action == "propose":
            body["proposed_outcome"] = "approved"
        if action == "request_supplement":
            body.update(missing=[self._supplement_for(code)],
                        reason="Bản chụp giấy tờ bị mờ, đề nghị nộp lại bản rõ hơn")
        if action == "approve":
            body["result_document"] = {
                "filename": "ket-qua.pdf", "content_type": "application/pdf",
                "content_base64": base64.b64encode(pdf(f"Kết quả {code}")).decode()}
        response = await self._http.post(f"/v1/dossiers/{code}/actions", json=body,
                                         headers=await self._auth(department, role))
        if response.status_code == 401:
            self._tokens.pop((department, role), None)
            raise _Busy(401)
        if response.status_code >= 500:
            raise _Busy(response.status_code)
        if response.status_code == 409:
            return  # somebody acted meanwhile (or our answer was lost): read again
        if response.status_code != 200:
            raise Refused(f"{action}: {response.status_code} {response.text[:300]}")
        if action == "request_supplement":
            self.requested.add(code)
        if action == "approve":
            self.decided += 1


class PatientCitizens(Citizens):
    """Citizens who pay the link of their dossier once, even when a replay shows it again,
    and try again when the payment page does not answer (payment or the bank restarting)."""

    def __init__(self, declines: Callable[[str], bool | None]) -> None:
        super().__init__()
        self._noticed: set[str] = set()
        self._decides = declines  # dossier code -> whether its citizen declines first

    async def _declines(self, code: str) -> bool:
        """As the scenario says (the dossier's number is known once its DossierSubmitted was
        read, which may come in the same batch as the payment link)."""
        decided = await wait_until(lambda: [self._decides(code)] if self._decides(code)
                                   is not None else None, timeout=60, interval=0.1,
                                   description=f"the scenario of {code}")
        return bool(decided[0])

    def notice(self, code: str, pay_url: str) -> None:
        if code not in self._noticed:
            self._noticed.add(code)
            super().notice(code, pay_url)

    async def _attempt(self, link: str, choice: str) -> None:
        """Open the link until the bank's page shows (each opening is a new order), choose
        once the bank answered, then look at the return page if it is there: a citizen who
        saw the bank take the money does not pay again because the site was slow after."""
        for attempt in range(120):
            try:
                bank = await self._http.get(link, follow_redirects=True)
                found = TXN_REF.search(bank.text)
                if bank.status_code == 200 and found is not None:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(min(0.5 * (attempt + 1), 3.0))  # a citizen's patience
        else:
            raise AssertionError(f"the payment page never showed for {link}")
        for attempt in range(120):  # the bank went away (a sandbox restart): press again
            try:
                chosen = await self._http.post(
                    str(bank.url.join("bank")), follow_redirects=False,
                    data={"vnp_TxnRef": found.group(1), "choice": choice})
                if chosen.status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(min(0.5 * (attempt + 1), 3.0))  # a citizen's patience
        else:
            raise AssertionError(f"the bank never answered for {link}")
        if chosen.status_code == 409 and attempt:
            return  # our first press did reach the bank: it has decided this transaction
        assert chosen.status_code in (200, 302, 303), chosen.text[:200]
        if chosen.is_redirect:
            with contextlib.suppress(httpx.HTTPError):
                await self._http.get(chosen.headers["location"])


class Supplements:
    """The citizens' portal answering a supplement request with the documents it asked for,
    signed as a portal signs; a replayed request is answered once; an answer that did not
    come (intake restarting, or not yet told of the request) is sent again a little later,
    the same body, so intake sees a replay if the first one did arrive."""

    def __init__(self, intake: str, secret: str) -> None:
        self._intake, self._secret = intake, secret
        self._requests: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()
        self._noticed: set[str] = set()
        self.provided = 0
        self.errors: list[str] = []

    def notice(self, code: str, missing: list[str]) -> None:
        if code not in self._noticed:
            self._noticed.add(code)
            self._requests.put_nowait((code, missing))

    async def run(self, workers: int = 4) -> None:
        async with httpx.AsyncClient(base_url=self._intake, timeout=30) as http:
            await asyncio.gather(*(self._worker(http) for _ in range(workers)))

    async def _worker(self, http: httpx.AsyncClient) -> None:
        while True:
            code, missing = await self._requests.get()
            content = base64.b64encode(pdf(f"Bo sung {code}")).decode()
            body = {"documents": [{"kind": kind, "filename": f"{kind}.pdf",
                                   "content_type": "application/pdf", "content_base64": content}
                                  for kind in missing], "note": "Bản chụp rõ hơn"}
            for attempt in range(300):
                request = signed_request("POST", http.base_url.join(
                    f"/v1/dossiers/{code}/supplements"), PORTAL_ID, self._secret, body=body)
                try:
                    answer = await http.send(request)
                    if answer.status_code == 202:
                        self.provided += 1
                        break
                    if answer.status_code not in (409,) and answer.status_code < 500:
                        self.errors.append(f"supplement {code}: {answer.status_code} "
                                           f"{answer.text[:200]}")
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))  # a portal's retry pace


def _status(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parts: dict[str, dict[str, Any]] = json.loads(
        Path(info["status_file"]).read_text())["parts"]
    return parts


async def _killer(info: dict[str, Any], plan: Plan, result: Result,
                  submitting: asyncio.Task[Any]) -> None:
    """Signal the planned parts in turn, each once the whole stack is back again; the
    plan's list repeats while submissions go on, so every part is killed at least once."""
    order = list(plan.kills)
    done = 0
    killed: tuple[str, int] | None = None  # the last part killed, and its pid then

    def back() -> bool:
        """Every part ready, the last one killed under a new pid: right after a SIGTERM the
        part is still "running" while it drains, and would look healthy."""
        try:
            parts = _status(info)
        except (OSError, ValueError):
            return False  # the launcher is writing it
        return all(p["state"] in ("ready", "running") for p in parts.values()) and (
            killed is None or parts[killed[0]]["pid"] != killed[1])

    while order and (done < len(order) or not submitting.done()):
        target = order[done % len(order)]
        await asyncio.sleep(plan.kill_every_s)  # the pace of the chaos, not synchronisation
        await wait_until(back, timeout=180, interval=0.2,
                         description="every part of the stack back before the next kill")
        pid = _status(info)[target]["pid"]
        try:
            os.kill(pid, plan.signal)
        except ProcessLookupError:
            continue  # it had just exited: the same target once it is back
        result.kills[target] += 1
        killed = (target, pid)
        print(f"  {time.strftime('%H:%M:%S')} {signal.Signals(plan.signal).name} to {target} "
              f"(pid {pid})", flush=True)
        done += 1
    await asyncio.wait([submitting])
    await wait_until(back, timeout=180, interval=0.2,
                     description="every part of the stack back after the last kill")


async def _submit_http(intake: str, secret: str, bodies: list[dict[str, Any]], portals: int,
                       result: Result) -> None:
    """Each submission until intake answers it (201, or 200 for a replay of one it has):
    a killed intake refuses connections for a while, and the portal tries again."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def portal(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            for attempt in range(600):
                request = signed_request("POST", http.base_url.join("/v1/dossiers"),
                                         PORTAL_ID, secret, body=body)
                try:
                    response = await http.send(request)
                    if response.status_code in (200, 201):
                        break
                    if response.status_code < 500:
                        result.errors.append(f"{body['portal_submission_id']}: "
                                             f"{response.status_code} {response.text[:200]}")
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))  # a portal's retry pace

    async with httpx.AsyncClient(base_url=intake, timeout=30) as http:
        await asyncio.gather(*(portal(http) for _ in range(portals)))


async def _submit_kafka(bootstrap: str, secret: str, bodies: list[dict[str, Any]],
                        result: Result) -> None:
    async def one(body: dict[str, Any]) -> None:
        for _ in range(5):  # the broker may be away when the client starts
            try:
                answer = await publish_and_wait(bootstrap, PORTAL_ID, secret, body,
                                                timeout_s=120, resend_after_s=10)
            except Exception as error:  # a client that met a dead broker: try again
                result.errors.append(f"kafka {body['portal_submission_id']}: {error!r}"[:200])
                continue
            if answer.get("outcome") != "accepted":
                result.errors.append(f"kafka {body['portal_submission_id']}: {answer}"[:300])
            return

    await asyncio.gather(*(one(body) for body in bodies))


async def _bank_clock(sandbox_url: str, result: Result) -> None:
    """VNPay retries an IPN that got no answer (payment was down) five minutes later; the
    sandbox's clock is moved on so that those retries come now. Each move goes further than
    the last, since the sandbox's own clock follows the wall clock again in between."""
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=30) as http:
        for k in itertools.count(1):
            await asyncio.sleep(3)  # the pace of the fast-forward, not synchronisation
            with contextlib.suppress(httpx.HTTPError, ValueError):
                moved = await http.post("/payment/_sandbox/vnpay/clock",
                                        json={"advance_s": 400 * k})
                result.ipn_retries += int(moved.json().get("delivered", 0))


async def _unfinished_messages(server_url: str) -> int:
    """Notification's messages still to send (its side-effect loop's work)."""
    conn = await asyncpg.connect(with_database(server_url, "mot_cua_notification"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM message WHERE status = 'pending'"))
    finally:
        await conn.close()


async def _reports_to_come(sandbox_url: str) -> int:
    """Delivery reports the eSMS sandbox has still to deliver (none answered 200 yet, tries
    left). A number whose scenario never reports a final state (``…0002``) gets its "waiting"
    report too, and that one is answered: after this, nothing will move a message again."""
    async with httpx.AsyncClient(timeout=30) as http:
        reports = (await http.get(f"{sandbox_url}/sms/_sandbox/esms/ledger")).json()["reports"]
    return sum(1 for r in reports if "200" not in r["answers"] and r["tries"] < 5)


async def quiet(info: dict[str, Any], reads: dict[str, set[str]] | None = None) -> bool:
    """Nothing left to happen: no message to send, no delivery report to come, no event
    unsent in any outbox and none unread by any consumer group. Lag is read before and after
    the outboxes: a consumer that handled a record between the two reads would have written
    its events into an outbox first, and a relay that published them would show as lag.
    ``reads`` remembers, across the calls of a run, the topics each group has committed on:
    after a broker reset a group has no offsets until it commits again, and a partition it
    reads but has not committed on yet is then all lag, not none.
    (Final is not quiet: the last delivery reports may still be on their way.)"""
    target = ops.Target(info["database_url"], info["kafka_bootstrap_servers"])
    reads = {} if reads is None else reads

    async def no_lag() -> bool:
        lag = await ops.partition_lag(target, GROUPS, reads)
        for group, behind in lag.items():
            reads.setdefault(group, set()).update(p.topic for p in behind)
        return any(lag.values()) and not any(n for behind in lag.values()
                                             for n in behind.values())

    async def no_backlog() -> bool:
        backlog = await ops.outbox_backlog(target)
        return not any(entry["unsent"] for entry in backlog.values())

    try:
        return (await _unfinished_messages(info["database_url"]) == 0
                and await _reports_to_come(info["sandbox_url"]) == 0
                and await no_lag() and await no_backlog() and await no_lag())
    except (OSError, asyncpg.PostgresError, httpx.HTTPError):
        return False  # a part is restarting: not quiet yet


async def settle(info: dict[str, Any], description: str, timeout: float = 240,  # noqa: ASYNC109
                 reads: dict[str, set[str]] | None = None) -> None:
    """Wait until :func:`quiet`; pass one ``reads`` to every settle of a run."""
    reads = {} if reads is None else reads
    await wait_until(lambda: quiet(info, reads), timeout=timeout, interval=0.5,
                     description=description)


def _ledger_checks(ledger: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, int],
                                                                      dict[str, int]]:
    paid = Counter(p["order_info"] for p in ledger["payments"] if p["status"] == "00")
    refunds = sum(len(p["refunds"]) for p in ledger["payments"])
    shipments = Counter(s["reference"] for s in ledger["shipments"])
    texts = Counter((m["to"], m["text"]) for m in ledger["sms"])
    effects = {"charges": sum(paid.values()), "refunds": refunds,
               "shipments": sum(shipments.values()), "sms": sum(texts.values())}
    duplicates = {
        "charges": sum(n - 1 for n in paid.values()),
        "refunds": sum(max(0, len(p["refunds"]) - 1) for p in ledger["payments"]),
        "shipments": sum(n - 1 for n in shipments.values()),
        "sms": sum(n - 1 for n in texts.values()),
    }
    return effects, duplicates


def _emails(maildir: Path) -> tuple[int, int]:
    """Emails in the sink, and how many of them repeat one already sent (same recipients,
    subject and body)."""
    seen: Counter[str] = Counter()
    for path in maildir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain", "html"))
        text = body.get_content() if body is not None else ""
        seen[hashlib.sha256(f"{message['X-RcptTo']}|{message['Subject']}|{text}".encode())
             .hexdigest()] += 1
    return sum(seen.values()), sum(n - 1 for n in seen.values())


def _longest_stall(arrivals: list[float], start: float, end: float) -> float:
    marks = sorted([start, *(a for a in arrivals if start <= a <= end), end])
    return max((b - a for a, b in itertools.pairwise(marks)), default=0.0)


def _compare(observer: ChaosObserver, codes: list[str], baseline: dict[tuple[Any, ...], str],
             scenario_of: dict[str, tuple[Any, ...]], result: Result) -> None:
    """Each dossier's timeline against the calm dossier's of its scenario."""
    seen = observer.seen
    for code in codes:
        calm = baseline.get(scenario_of[seen.submission_of[code]])
        if calm is None:
            continue
        result.timelines_compared += 1
        ours, theirs = observer.timeline(code), observer.timeline(calm)
        differing = sorted(f for f in {*ours, *theirs} if ours.get(f) != theirs.get(f))
        what = f"{code} vs calm {calm}: " + "; ".join(
            f"{f}: {ours.get(f)} != {theirs.get(f)}" for f in differing)
        overtaken = [f for f in differing if f == POSTAL and _overtaken(ours.get(f), theirs.get(f))]
        if _decline_overtaken(ours.get(PAYMENT), theirs.get(PAYMENT)):
            result.declines_overtaken.append(what)
        elif set(differing) - {DELIVERY_STATES, *overtaken}:
            result.timelines_differing.append(what)
        elif overtaken:
            result.carrier_states_overtaken.append(what)
        elif differing:
            result.delivery_states_differing.append(what)


POSTAL, PAYMENT = "postal.events", "payment.events"


def _decline_overtaken(ours: Any, theirs: Any) -> bool:
    """The calm citizen's declined first attempt is missing and nothing else of the payment:
    the bank's IPN for the declined order reached payment (down when it was first sent) only
    after the second order was paid, and payment reports no failure of a fee already paid.
    What follows from that failure (its email and SMS, the work item's return to awaiting the
    fee) is missing with it."""
    return bool(ours and theirs) and "PaymentFailed" in theirs and "PaymentFailed" not in ours \
        and [e for e in theirs if e != "PaymentFailed"] == list(ours)


def _overtaken(ours: Any, theirs: Any) -> bool:
    """The parcel's states are the calm parcel's with intermediate ones missing, and the same
    end: a webhook retried after postal was down arrived after a later state's, and postal
    keeps a parcel's state from going back (GHN documents no order for its webhooks)."""
    if not ours or not theirs or ours[-1] != theirs[-1] or ours[:2] != theirs[:2]:
        return False
    rest = iter(theirs)
    return all(entry in rest for entry in ours)


async def _run(info: dict[str, Any], plan: Plan, secret: str, result: Result) -> None:
    intake, bootstrap = info["services"]["intake"], info["kafka_bootstrap_servers"]
    async with httpx.AsyncClient(base_url=intake, timeout=30) as http:
        procedures = (await http.get("/v1/procedures")).json()
    factory = SubmissionFactory(procedures, "chaos")
    bodies = [submission(factory, n) for n in range(plan.dossiers)]
    over_kafka = [b for n, b in enumerate(bodies) if plan.kafka_every and n % plan.kafka_every
                  == plan.kafka_every - 1]
    over_http = [b for b in bodies if b not in over_kafka]
    # The calm baseline: the first dossier of each scenario again, under the tag "calm".
    first_of: dict[tuple[Any, ...], int] = {}
    shapes = {p["code"]: p for p in procedures}
    for body in bodies:
        first_of.setdefault(scenario(body, shapes), number_of(body["portal_submission_id"]))
    calm_factory = SubmissionFactory(procedures, "calm")
    calm = ([submission(calm_factory, n) for n in first_of.values()]
            if plan.calm_baseline else [])
    by_id = {b["portal_submission_id"]: b for b in [*bodies, *calm]}
    scenario_of = {submission_id: scenario(b, shapes) for submission_id, b in by_id.items()}
    result.submitted = len(bodies)
    result.with_fee = sum(1 for b in by_id if number_of(b) % 2 == 0)  # the factory's rule
    dbs = ServiceDatabases(info["database_url"])
    reads: dict[str, set[str]] = {}  # the topics each group reads, learnt as it commits
    observer: ChaosObserver | None = None

    def kind_to_supply(code: str) -> str | None:
        submission_id = observer.seen.submission_of.get(code) if observer else None
        if submission_id is None or not asked_for_supplement(number_of(submission_id)):
            return None
        return str(by_id[submission_id]["documents"][0]["kind"])

    def declines(code: str) -> bool | None:
        submission_id = observer.seen.submission_of.get(code) if observer else None
        return None if submission_id is None else declines_first(number_of(submission_id))

    officers = PatientDepartments(info["services"]["processing"], supplement_for=kind_to_supply)
    crowd = PatientCitizens(declines)
    portal = Supplements(intake, secret)
    background = [asyncio.create_task(officers.run()), asyncio.create_task(crowd.run()),
                  asyncio.create_task(portal.run())]
    started = time.time()
    try:
        observer = ChaosObserver(bootstrap, officers, PORTAL_ID, citizens=crowd,
                                 supplements=portal)
        async with observer:
            seen = observer.seen
            background.append(asyncio.create_task(officers.look_at_queue(seen.final_at)))
            baseline: dict[tuple[Any, ...], str] = {}
            if calm:
                await _submit_http(intake, secret, calm, plan.portals, result)

                def calm_final() -> bool:
                    return sum(1 for c in seen.codes_of("calm") if c in seen.final_at) \
                        >= len(calm)

                try:
                    await wait_until(calm_final, timeout=plan.final_timeout_s, interval=0.2,
                                     description="the calm baseline's dossiers final")
                    await settle(info, "the calm baseline quiet", reads=reads)
                except TimeoutError:
                    result.stuck = [f"(calm) {c} (last event {observer.last_event.get(c)})"
                                    for c in seen.codes_of("calm") if c not in seen.final_at]
                    result.errors += officers.errors[:10] + crowd.errors[:10] \
                        + portal.errors[:10]
                    return
                baseline = {scenario_of[seen.submission_of[c]]: c for c in seen.codes_of("calm")}
                result.calm_dossiers = len(baseline)
                result.calm_s = round(time.time() - started, 1)
            chaos_started = time.time()
            submitting = asyncio.ensure_future(asyncio.gather(
                _submit_http(intake, secret, over_http, plan.portals, result),
                _submit_kafka(bootstrap, secret, over_kafka, result)))
            await _killer(info, plan, result, submitting)
            await submitting

            async def all_final() -> bool:
                final = [c for c in seen.codes_of("chaos") if c in seen.final_at]
                return len(final) >= plan.dossiers and await dbs.unsent_events() == 0

            clock = asyncio.create_task(_bank_clock(info["sandbox_url"], result))
            try:
                with contextlib.suppress(TimeoutError):
                    await wait_until(all_final, timeout=plan.final_timeout_s, interval=0.5,
                                     description="every dossier final")
            finally:
                clock.cancel()
            ended = time.time()
            codes = seen.codes_of("chaos")
            result.final = sum(1 for c in codes if c in seen.final_at)
            submitted_ids = {b["portal_submission_id"] for b in bodies}
            registered = {seen.submission_of[c] for c in codes}
            result.stuck = sorted(
                [f"{c} (last event {observer.last_event.get(c)})" for c in codes
                 if c not in seen.final_at]
                + [f"(never registered) {s}" for s in submitted_ids - registered])
            last = max([seen.final_at[c] for c in codes if c in seen.final_at] or [ended])
            result.longest_stall_s = round(
                _longest_stall(observer.arrivals, chaos_started, last), 1)
            if baseline:
                with contextlib.suppress(TimeoutError):
                    await settle(info, "every last event handled",
                                 timeout=plan.final_timeout_s, reads=reads)
                _compare(observer, [c for c in codes if c in seen.final_at], baseline,
                         scenario_of, result)
            result.supplements = portal.provided
            result.errors += officers.errors[:10] + crowd.errors[:10] + portal.errors[:10]
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
    async with httpx.AsyncClient(timeout=30) as http:
        ledger = (await http.get(f"{info['sandbox_url']}/_sandbox/ledger")).json()
    result.effects, result.duplicates = _ledger_checks(ledger)
    result.effects["emails"], result.emails_sent_again = _emails(Path(info["smtp"]["maildir"]))
    # notification is killed directly, and with its dependencies (the broker, the database).
    result.email_bound = sum(result.kills[p] for p in ("notification", "kafka", "postgres"))
    result.restarts = {name: part["restarts"] for name, part in _status(info).items()}
    result.duration_s = round(time.time() - started, 1)


def stack_env(secret: str, data_dir: Path) -> dict[str, str]:
    """The stack of a run: our portal; the sandboxes' record on disk, so that a killed
    sandbox comes back with it (deploy/sandbox/store.py); and their real-time clocks made
    faster (a parcel takes a state every second instead of eight, a delivery report comes
    after one second): what the checks are about happens sooner, the same."""
    return {"INTAKE_PORTAL_SECRETS": f"{PORTAL_ID}:{secret}", "SANDBOX_CARRIER_STEP_S": "1",
            "SANDBOX_SMS_REPORT_DELAY_S": "1",
            "SANDBOX_STATE_FILE": str(data_dir / "sandbox" / "state.sqlite3")}


def run(plan: Plan, data_dir: Path) -> Result:
    """The whole run: start the stack in ``data_dir``, flow and kill, check, stop."""
    secret = secrets.token_hex(16)
    result = Result(plan)
    with running_stack(data_dir, stack_env(secret, data_dir)) as info:
        asyncio.run(_run(info, plan, secret, result))
    return result


def table(result: Result) -> str:
    """The run as a Markdown table (docs/reliability.md keeps the latest full run)."""
    rows = [("dossiers submitted", result.submitted), ("dossiers final", result.final),
            ("dossiers lost or stuck", len(result.stuck)),
            ("calm baseline (one dossier of each scenario, no kills)",
             f"{result.calm_dossiers} ({result.calm_s} s)"),
            ("timelines compared with the calm dossier's", result.timelines_compared),
            ("timelines differing", f"{len(result.timelines_differing)} (bound 0)"),
            ("timelines differing only in a message's delivery state (a report lost while "
             "notification was down)", len(result.delivery_states_differing)),
            ("timelines differing only in a parcel's intermediate state skipped (its webhook "
             "overtaken by a later one while postal was down)",
             len(result.carrier_states_overtaken)),
            ("timelines differing only in a declined first payment overtaken by the paid "
             "second (its IPN came back after payment was down)", len(result.declines_overtaken)),
            ("supplements requested and provided", result.supplements)]
    rows += [(f"kills of {part}", result.kills[part]) for part in PARTS if result.kills[part]]
    rows += [(f"restarts of {part}", n) for part, n in result.restarts.items() if n]
    rows += [(f"side effects: {kind}", n) for kind, n in result.effects.items()]
    rows += [(f"duplicate {kind}", n) for kind, n in result.duplicates.items()]
    rows += [("emails sent again", f"{result.emails_sent_again} (bound {result.email_bound}: "
              "kills of notification, direct or with the broker or database)"),
             ("IPNs the bank retried (payment was down the first time)", result.ipn_retries),
             ("longest stall (no event observed)", f"{result.longest_stall_s} s"),
             ("duration", f"{result.duration_s} s"),
             ("verdict", "PASS" if result.passed else "FAIL")]
    lines = ["| what | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join(lines)
