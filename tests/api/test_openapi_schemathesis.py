"""The live OpenAPI document, exercised by Schemathesis with every check (`st run --checks all`), on both
backends: generated requests, valid and invalid, from the examples, coverage and fuzzing phases, sent
in process (ASGI) with a fresh institution-admin key. The run must end with no 5xx, no status code the
document does not list, no invalid request accepted, no valid one refused, every answer matching its
documented schema and content type, and `Allow` naming exactly the documented methods.

Key deletion (revocation) is left out: the run would revoke its own key. Everything else runs.

SCHEMATHESIS_EXAMPLES (default 8) bounds the examples per operation, SCHEMATHESIS_SEED (default 1) picks
them; the default run takes well under a minute per backend on 2 cores. The summary — operations, cases,
failures per check — is printed (pytest -s) and is in the failure message.

Why the engine rather than `@schema.parametrize()`: the schema must come from the per-backend `api`
fixture, and `schemathesis.pytest.from_fixture` does not work with pytest 9 (it reads `Function._nodeid`).
The engine is what `st run` drives, so the phases, checks and their options are the CLI's own.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from tests.api.conftest import auth

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "1"))
EXCLUDED = r"^/v1/keys/\{"  # DELETE /v1/keys/{key_id}: revoking keys (the run's own among them)
# Rules a JSON Schema cannot state: they relate two fields, a field and the clock, a field and stored records
# or the server's configuration. A request that looks valid but breaks one gets a 422 naming the field (400 for
# the configuration); for these operations only, positive_data_acceptance takes that as an expected answer.
# Every other check still applies to them.
RULES_BEYOND_SCHEMA: dict[str, str] = {
    "POST /v1/agreements": "`to` is not before `from`",
    "PATCH /v1/agreements/{agreement_id}": "the period, with the stored start or end, is not reversed",
    "POST /v1/placements": "`to` is not before `from`",
    "PATCH /v1/placements/{placement_id}": "the period, with the stored start or end, is not reversed",
    "POST /v1/tools": "`active_to` is not before `active_from`",
    "PATCH /v1/tools/{tool_id}": "`active_to` is not before `active_from`, sent or stored",
    "POST /v1/keys": "`expires_at` is in the future",
    "POST /v1/trainings": "the training day is not after today",
    "POST /v1/collectors": "the pre-job exam and last training days are not after today",
    "PATCH /v1/collectors/{collector_id}": "the pre-job exam day is not after today",
    "GET /v1/debtors/{debtor_id}": "`reveal=true` needs a reason",
    "GET /v1/attempts/missing-outcomes": "the period is at most 31 days",
    "POST /v1/attempts/{attempt_id}/outcome": "`ended_at` is neither before the attempt nor after the gate's clock",
    "POST /v1/agencies": "an agency is listed only under an agreement with it",
    "POST /v1/subcontractor-approvals": "only an agency with a parent agency is a subcontractor",
    "POST /v1/templates": "a template is approved on its own route, never on creation",
    "PUT /v1/institutions/{institution_id}/policy": "a policy is never looser than the guideline",
    "GET /v1/ledger/verify": "checkpoints=true needs a server that keeps checkpoints (400)",
    "GET /v1/agencies/{agency_id}/evidence": "`to` is not before `from`; the period is at most 366 days",
    "GET /v1/monitoring/figures": "`to` is not before `from`; the period is at most 31 days",
    "PUT /v1/monitoring/performance-scheme": "weights sum to 100 per subject; never recovery alone (art. 6(二)6, 409)",
    "POST /v1/agency-evaluations": "the scores name exactly the kind's criteria; a pre-expiry evaluation names its "
                                   "agreement; cited files are stored",
    "POST /v1/evidence-files": "the file is not empty",
    "POST /v1/staff": "`org` is the caller's own institution (an agency's people are the agency's own record)",
    "POST /v1/inspections": "findings cite rule ids of RULES.md; the period is not reversed; a sample needs a period",
    "POST /v1/rectification-orders": "`due` is not before today; `finding` comes with its `inspection`",
    "POST /v1/incidents": "a major risk names its category and a pi_breach none; `discovered_at` is not after now; "
                          "the agency is one the institution works with",
    "POST /v1/incidents/{incident_id}/notifications": "a written report to the SRO states all four parts (409, "
                                                      "art24-major-risk-48h)",
    "POST /v1/retention/destruction-requests": "the institution names the agency (an agency operator asks for its own); "
                                               "every agreement with it has ended or it was terminated (409)",
    "PUT /v1/institutions/{institution_id}/complaint-channels": "at least one channel; phone numbers valid in China; "
                                                               "the answer time within the policy's complaint_days",
    "GET /v1/obligations": "`at` is not in the future (the calendar answers for what has happened)",
    "GET /v1/agencies/{agency_id}/complaint-report": "`to` is not before `from`; the period is at most 366 days",
    "POST /v1/agencies/{agency_id}/complaint-report": "`to` is not before `from`; the period is at most 366 days",
    "POST /v1/complaints": "the debtor, agency and collector named are ones the institution works with",
    "POST /v1/complaints/{complaint_id}/verify": "verified once, from registration; `proxy_authorised` only for a "
                                                 "proxy's complaint",
    "POST /v1/complaints/{complaint_id}/assign": "the investigator is no one complained about nor of the agency "
                                                 "complained about (409, art22-recusal / art22-institution-handles)",
    "POST /v1/complaints/{complaint_id}/extend": "the new date is after the one in force and within twice the "
                                                 "guideline's days of registration; not once resolved",
    "POST /v1/complaints/{complaint_id}/resolve": "an investigator is named first (409, art22-complaints); the root "
                                                  "cause cites known rule ids; resolved once",
}


@dataclass
class Summary:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    checks_run: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # by check
    details: dict[tuple[str, str], str] = field(default_factory=dict)  # (check, operation) → first example
    errors: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"Schemathesis: {len(self.operations)} operations, {self.cases} test cases, {self.checks_run} "
                 f"check runs, {sum(self.failures.values())} failures, {len(self.errors)} errors"]
        lines += [f"  {check}: {count}" for check, count in sorted(self.failures.items())]
        lines += [f"\n[{check}] {operation}\n{detail}" for (check, operation), detail in sorted(self.details.items())]
        lines += [f"\nerror: {e}" for e in self.errors]
        return "\n".join(lines)


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "cache": {"enabled": False},  # nothing carried between runs (nor written into the work tree)
        "headers": {"Authorization": f"Bearer {token}"},
        "checks": {"enabled": True},  # all of them, as `--checks all`
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": False}},
        "generation": {"max-examples": EXAMPLES, "no-shrink": True},
        "operations": [
            {"include-path-regex": EXCLUDED, "enabled": False},
            *({"include-name": label, "checks": {"positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422"]}}}
              for label in RULES_BEYOND_SCHEMA),
        ],
    })


def _failure_text(recorder: object, case_id: str, title: str) -> str:
    case = recorder.cases[case_id].value  # type: ignore[attr-defined]
    interaction = recorder.interactions.get(case_id)  # type: ignore[attr-defined]
    status = interaction.response.status_code if interaction is not None and interaction.response else None
    body = interaction.response.content[:400] if interaction is not None and interaction.response else b""
    return f"{title}: answered {status} {body!r}\n  {case.as_curl_command()}"


def _running(app: Any) -> Any:
    """The app without its lifespan: the fixture's client already runs it (in its own event loop), and
    Schemathesis would start it a second time in another."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return asgi


def run_schemathesis(app: object, token: str) -> Summary:
    schema = schemathesis.openapi.from_asgi("/openapi.json", _running(app), config=_config(token))
    summary = Summary()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.label:
            summary.operations.add(event.label)
            summary.cases += len(event.recorder.cases)
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    summary.checks_run += 1
                    if node.status == Status.FAILURE:
                        summary.failures[node.name] += 1
                        title = node.failure_info.failure.title if node.failure_info else node.name
                        summary.details.setdefault((node.name, event.label),
                                                   _failure_text(event.recorder, case_id, title))
        elif isinstance(event, events.NonFatalError):
            summary.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            summary.errors.append(repr(event.exception))
        elif isinstance(event, events.EngineFinished):
            summary.errors += [f"after the run: {f.title}" for f in event.failures]
    return summary


def test_every_operation_answers_within_its_contract(api):
    client, tokens = api
    issued = client.post("/v1/keys", json={"role": "institution_admin", "label": "schemathesis"},
                         headers=auth(tokens["institution_admin"]))
    assert issued.status_code == 201, issued.text

    summary = run_schemathesis(client.app, issued.json()["token"])
    print(summary.text())

    assert len(summary.operations) >= 60 and summary.cases >= 20 * len(summary.operations), summary.text()
    assert not summary.failures and not summary.errors, summary.text()
