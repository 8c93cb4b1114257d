"""The routes of ``/v1``: each parses its input, calls the line, and shapes its answer.

Which caller may call which route is the line's rule (``Line.require`` and the party
checks); ``tests/test_service_access.py`` calls every route as every kind of caller.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from deconflict.errors import InputError
from deconflict.line.audit import Receipt
from deconflict.line.keys import Role
from deconflict.plans.geojson import parse_plans
from deconflict.plans.notices import volume_feature
from deconflict.plans.volume import Plan, PlanState
from deconflict.service.deps import CallerDep, LineDep
from deconflict.service.responses import ORJSONResponse
from deconflict.store import Filing, StoredPlan


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(_Strict):
    party_id: str
    name: str
    members: list[str] = Field(default_factory=list, max_length=1000)


class KeyIn(_Strict):
    role: Role
    party_id: str | None = None
    label: str = ""
    expires_s: float | None = None


class AgreementIn(_Strict):
    parties: list[str] = Field(min_length=2, max_length=2)
    terms: dict[str, Any] = Field(default_factory=dict)


class AgreementChange(_Strict):
    version: int
    status: str | None = None
    terms: dict[str, Any] | None = None


class StateIn(_Strict):
    state: PlanState


def plan_json(sp: StoredPlan) -> dict[str, Any]:
    """A party's own plan: its volumes as GeoJSON features, its state and reference."""
    p = sp.plan
    return {
        "plan_id": p.plan_id, "party": p.party, "state": str(p.state), "status": sp.status,
        "version": p.version, "ref": sp.ref, "created_s": sp.created_s,
        "updated_s": sp.updated_s, "meta": p.meta,
        "volumes": {"type": "FeatureCollection",
                    "features": [volume_feature(v) for v in p.volumes]},
    }  # fmt: skip


def filing_json(f: Filing) -> dict[str, Any]:
    return {"status": str(f.status), "plan_id": f.plan_id, "version": f.version, "ref": f.ref,
            "notices": list(f.notices)}  # fmt: skip


def _one_plan(document: dict[str, Any], party: str | None) -> Plan:
    """The plan of a GeoJSON FeatureCollection, whose features may leave out ``party`` and
    ``plan_id`` (the caller's party; the ``plan_id`` of the route)."""
    features = document.get("features")
    if isinstance(features, list):
        for f in features:
            if isinstance(f, dict) and isinstance(f.get("properties"), dict):
                f["properties"].setdefault("party", party)
    plans = parse_plans(document, "plan")
    if len(plans) != 1:
        raise InputError(f"plan: the features make {len(plans)} plans, not one")
    return plans[0]


def _filed(f: Filing) -> ORJSONResponse:
    if f.accepted:
        return ORJSONResponse(filing_json(f), 201)
    return ORJSONResponse(
        {
            "error": {
                "code": str(f.status),
                "message": (
                    f"plan {f.plan_id} conflicts with {len(f.notices)} plan(s) it did not "
                    "acknowledge: file it again with their references and versions in 'known'"
                    if f.status == "missed"
                    else f"plan {f.plan_id} conflicts, and the agreement does not allow it"
                ),
            },
            **filing_json(f),
        },
        409,
    )


def install(app: FastAPI) -> None:
    @app.get("/v1/health", tags=["line"])
    def health() -> dict[str, Any]:
        """Whether the line answers (no key needed)."""
        return {"ok": True}

    @app.get("/v1/whoami", tags=["line"])
    def whoami(caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """Who the key belongs to; for an officer or an observer, also the id of its party's
        latest event (``last_event_id``): read the state of things, then follow the event
        stream from there."""
        me: dict[str, Any] = {"key_id": caller.key_id, "role": str(caller.role),
                              "party_id": caller.party_id}  # fmt: skip
        if caller.role in (Role.OFFICER, Role.OBSERVER):
            me["last_event_id"] = line.last_event_id(caller)
        return me

    # -- parties and keys (admin) -----------------------------------------------------

    @app.post("/v1/parties", status_code=201, tags=["admin"])
    def add_party(body: PartyIn, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        return line.add_party(caller, body.party_id, body.name, body.members).as_json()

    @app.get("/v1/parties", tags=["line"])
    def parties(caller: CallerDep, line: LineDep) -> list[dict[str, Any]]:
        """Every party for an admin; one's own and those one has an agreement with."""
        return [p.as_json() for p in line.parties(caller)]

    @app.post("/v1/keys", status_code=201, tags=["admin"])
    def create_key(body: KeyIn, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """A new key: its token is in this answer only."""
        info, token = line.create_key(caller, body.role, body.party_id, body.label,
                                      body.expires_s)  # fmt: skip
        return {**info.as_json(), "token": token}

    @app.get("/v1/keys", tags=["admin"])
    def list_keys(
        caller: CallerDep, line: LineDep, party_id: str | None = None
    ) -> list[dict[str, Any]]:
        return [k.as_json() for k in line.keys(caller, party_id)]

    @app.delete("/v1/keys/{key_id}", tags=["admin"])
    def revoke_key(key_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        return line.revoke_key(caller, key_id).as_json()

    # -- agreements -------------------------------------------------------------------

    @app.post("/v1/agreements", status_code=201, tags=["admin"])
    def make_agreement(body: AgreementIn, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        a, b = body.parties
        return line.make_agreement(caller, a, b, body.terms).as_json()

    @app.get("/v1/agreements", tags=["line"])
    def agreements(caller: CallerDep, line: LineDep) -> list[dict[str, Any]]:
        return [a.as_json() for a in line.agreements(caller)]

    @app.get("/v1/agreements/{agreement_id}", tags=["line"])
    def agreement(agreement_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        return line.agreement(caller, agreement_id).as_json()

    @app.patch("/v1/agreements/{agreement_id}", tags=["admin"])
    def change_agreement(
        agreement_id: str, body: AgreementChange, caller: CallerDep, line: LineDep
    ) -> dict[str, Any]:
        """Suspend, put back in force or terminate an agreement, or change its terms; the
        version must be the agreement's current one."""
        return line.change_agreement(
            caller, agreement_id, body.version, body.status, body.terms
        ).as_json()

    @app.get("/v1/agreements/{agreement_id}/history", tags=["line"])
    def history(agreement_id: str, caller: CallerDep, line: LineDep) -> list[dict[str, Any]]:
        return line.history(caller, agreement_id)

    # -- plans ------------------------------------------------------------------------

    @app.post("/v1/plans", tags=["plans"], response_model=None)
    def file_plan(
        caller: CallerDep,
        line: LineDep,
        plan: dict[str, Any] = Body(..., description="a GeoJSON FeatureCollection"),  # noqa: B008
        known: dict[str, int] = Body(default_factory=dict),  # noqa: B008
    ) -> ORJSONResponse:
        """File a new plan (its volumes as a GeoJSON FeatureCollection): 201 when accepted,
        409 with the notices when it conflicts. ``known``: the references and versions of
        the conflicting plans the filer was told of (from notices), as in ASTM F3548."""
        line.require(caller, Role.OFFICER)  # before the body is read
        parsed = _one_plan(plan, caller.party_id)
        if parsed.version != 0:
            raise InputError("a new plan has no version: update one with PUT /v1/plans/{id}")
        return _filed(line.file_plan(caller, parsed, known))

    @app.put("/v1/plans/{plan_id}", tags=["plans"], response_model=None)
    def update_plan(
        plan_id: str,
        caller: CallerDep,
        line: LineDep,
        plan: dict[str, Any] = Body(...),  # noqa: B008
        version: int = Body(...),
        known: dict[str, int] = Body(default_factory=dict),  # noqa: B008
    ) -> ORJSONResponse:
        """Replace the volumes of a plan at ``version`` (its current one)."""
        line.require(caller, Role.OFFICER)
        parsed = _one_plan(plan, caller.party_id)
        if parsed.plan_id != plan_id:
            raise InputError(f"the features are of plan {parsed.plan_id!r}, not {plan_id!r}")
        return _filed(line.file_plan(caller, Plan(plan_id, parsed.party, parsed.volumes,
                                                  version=version), known))  # fmt: skip

    @app.get("/v1/plans", tags=["plans"])
    def plans(
        caller: CallerDep,
        line: LineDep,
        state: list[PlanState] | None = Query(None),  # noqa: B008
    ) -> list[dict[str, Any]]:
        """The caller's party's plans (the live ones unless ``state`` says)."""
        return [plan_json(p) for p in line.plans(caller, state)]

    @app.get("/v1/plans/{plan_id}", tags=["plans"])
    def plan(plan_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        return plan_json(line.plan(caller, plan_id))

    @app.post("/v1/plans/{plan_id}/state", tags=["plans"])
    def set_state(plan_id: str, body: StateIn, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """Activate, end or cancel a plan."""
        return plan_json(line.set_plan_state(caller, plan_id, body.state))

    @app.delete("/v1/plans/{plan_id}", tags=["plans"])
    def cancel_plan(plan_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        return plan_json(line.set_plan_state(caller, plan_id, PlanState.CANCELLED))

    @app.get("/v1/notices", tags=["plans"])
    def notices(
        caller: CallerDep, line: LineDep, since_s: float | None = None
    ) -> list[dict[str, Any]]:
        """The notices of the caller's party's plans, oldest first."""
        return line.notices(caller, since_s)

    # -- events and audit -------------------------------------------------------------

    @app.get("/v1/events", tags=["line"])
    def events(
        caller: CallerDep, line: LineDep, after: int = Query(0, ge=0),
        limit: int = Query(1000, ge=1, le=10_000),
    ) -> dict[str, Any]:  # fmt: skip
        """What the caller's party was told after the cursor ``after`` (notices, agreement
        changes), oldest first; ``cursor`` is where to go on from."""
        found = line.events(caller, after, limit)
        return {"events": found, "cursor": found[-1]["event_id"] if found else after}

    @app.get("/v1/audit/verify", tags=["admin"])
    def verify(
        caller: CallerDep,
        line: LineDep,
        seq: int | None = Query(None, ge=1),
        sha256: str | None = Query(None, pattern="^[0-9a-f]{64}$"),
    ) -> dict[str, Any]:
        """Walk the audit chain; with a receipt (``seq`` and ``sha256``), check it too."""
        if (seq is None) != (sha256 is None):
            raise InputError("a receipt is seq and sha256 together")
        receipt = Receipt(seq, sha256) if seq is not None and sha256 is not None else None
        count, broken = line.verify_audit(caller, receipt)
        return {
            "records": count,
            "intact": broken is None,
            "break": None if broken is None else {"seq": broken.seq, "what": broken.what,
                                                   "detail": broken.detail},
        }  # fmt: skip
