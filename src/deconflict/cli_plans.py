"""``deconflict plans``: check a file of plans, and file, list and cancel plans in a store."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from deconflict.errors import InputError, NotFoundError, RefusedError

if TYPE_CHECKING:
    from deconflict.plans.check import PlanConflict
    from deconflict.store import PlanStore

DB_HELP = (
    "The store: sqlite:///PATH (or a plain path; created when missing) or "
    "postgresql://USER@HOST/DB. Default: $DECONFLICT_DB, else deconflict.db here."
)


def _say(line: str) -> None:
    click.echo(line, err=True)


@contextmanager
def _atomic(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or a file that appears whole or not at all."""
    if path is None:
        yield sys.stdout
        return
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"{path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def conflict_json(c: PlanConflict) -> dict[str, Any]:
    from deconflict.plans.geojson import format_time

    return {
        "plan_a": c.plan_a,
        "plan_b": c.plan_b,
        "party_a": c.party_a,
        "party_b": c.party_b,
        "time_start": format_time(c.time_start_s),
        "time_end": format_time(c.time_end_s),
        "alt_lower_ft": c.alt_lower_ft,
        "alt_upper_ft": c.alt_upper_ft,
        "volumes": [
            {
                "volume_a": v.index_a,
                "volume_b": v.index_b,
                "time_start": format_time(v.time_start_s),
                "time_end": format_time(v.time_end_s),
                "alt_lower_ft": v.alt_lower_ft,
                "alt_upper_ft": v.alt_upper_ft,
            }
            for v in c.volumes
        ],
    }


@click.group("plans")
def plans_group() -> None:
    """Strategic deconfliction of 4D plans (areas, altitude bands, time windows).

    A plans file is a GeoJSON FeatureCollection; each Feature is one volume: a Polygon
    (edges are geodesics) or a Point with the property radius_m (a circle), with the
    properties party, plan_id, alt_lower_ft, alt_upper_ft, time_start and time_end
    (ISO-8601 with a zone, e.g. 2026-11-24T08:00:00Z). Features sharing a plan_id are one
    plan's volumes.
    """


def _separation(hsep_nm: float, vsep_ft: float) -> Any:
    from deconflict.errors import OptionError
    from deconflict.plans.check import Separation
    from deconflict.units import nm_to_m

    if not 0.0 <= hsep_nm <= 100.0:
        raise OptionError(f"--hsep-nm {hsep_nm:g} is not in [0, 100]")
    if not 0.0 <= vsep_ft <= 10_000.0:
        raise OptionError(f"--vsep-ft {vsep_ft:g} is not in [0, 10000]")
    return Separation(nm_to_m(hsep_nm), vsep_ft)


HSEP = click.option(
    "--hsep-nm", default=5.0, show_default=True, help="Horizontal minimum, NM (0: intersection)."
)
VSEP = click.option(
    "--vsep-ft", default=1000.0, show_default=True, help="Vertical minimum, ft (0: overlap)."
)


@plans_group.command("check")
@click.argument("plans", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the conflicts here (JSON) instead of standard output.")  # fmt: skip
@HSEP
@VSEP
def check_command(plans: Path, output: Path | None, hsep_nm: float, vsep_ft: float) -> None:
    """Find every pair of conflicting plans of different parties in PLANS.geojson.

    Two plans conflict when some pair of their volumes overlaps in time, their altitude
    bands are less than --vsep-ft apart and their outlines less than --hsep-nm apart on the
    WGS84 ellipsoid. Writes a JSON array, one object per conflicting pair (plan_a <
    plan_b), with the overlapping window and altitude band and the volumes involved.
    """
    from deconflict.plans.check import check_plans
    from deconflict.plans.geojson import read_plans

    sep = _separation(hsep_nm, vsep_ft)
    found = read_plans(plans)
    conflicts = check_plans(found, sep)
    with _atomic(output) as out:
        json.dump([conflict_json(c) for c in conflicts], out, indent=1)
        out.write("\n")
    volumes = sum(len(p.volumes) for p in found)
    _say(f"{len(found)} plans, {volumes} volumes: {len(conflicts)} conflicting pairs")


def _open(db: str | None, hsep_nm: float = 5.0, vsep_ft: float = 1000.0,
          sharing: str = "safety", allow_conflicts: bool = False) -> PlanStore:  # fmt: skip
    from deconflict.plans.notices import Sharing
    from deconflict.store import Policy, Terms, open_store

    url = db or os.environ.get("DECONFLICT_DB") or "deconflict.db"
    terms = Terms(_separation(hsep_nm, vsep_ft), Sharing(sharing), allow_conflicts)
    return open_store(url, Policy(terms))


DB = click.option("--db", help=DB_HELP)


def _known(acks: tuple[Path, ...]) -> dict[str, int]:
    """Plan references and versions from notices files (the output of `plans file`)."""
    known: dict[str, int] = {}
    for path in acks:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: cannot read notices ({e})") from None
        items = data if isinstance(data, list) else [data]
        for item in items:
            notices = item.get("notices", [item]) if isinstance(item, dict) else []
            for n in notices:
                if isinstance(n, dict) and "other_plan_ref" in n and "other_version" in n:
                    known[str(n["other_plan_ref"])] = int(n["other_version"])
    return known


@plans_group.command("file")
@click.argument("plans", type=click.Path(dir_okay=False, path_type=Path))
@DB
@click.option("--ack", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="A notices file (the output of an earlier `plans file`): the conflicts "
                   "in it are acknowledged. Repeatable.")  # fmt: skip
@click.option("--known", multiple=True, metavar="REF=VERSION",
              help="Acknowledge a plan by reference and version. Repeatable.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the answers (JSON) here instead of standard output.")  # fmt: skip
@HSEP
@VSEP
@click.option("--sharing", type=click.Choice(["safety", "coordination"]), default="safety",
              show_default=True, help="What notices disclose of the other plan.")  # fmt: skip
@click.option("--allow-conflicts", is_flag=True,
              help="Accept plans whose conflicts are all acknowledged.")  # fmt: skip
def file_command(
    plans: Path, db: str | None, ack: tuple[Path, ...], known: tuple[str, ...],
    output: Path | None, hsep_nm: float, vsep_ft: float, sharing: str, allow_conflicts: bool,
) -> None:  # fmt: skip
    """File (or update) the plans of PLANS.geojson in a store, each in one transaction.

    A plan conflicting with another party's live plan is refused ("missed") unless the
    filer acknowledges that plan's reference and current version (--ack, --known): the
    answer lists the notices to acknowledge. With acknowledged conflicts a plan is
    "accepted_with_conflicts" under --allow-conflicts, else refused ("conflicts"). To update
    a plan, give its features the property version (its current version).
    A plan that cannot be filed (another party's plan id, a stale version) is answered
    "refused" with the reason; the others are still filed.
    Exit status: 0 when every plan was accepted, 1 when one was not, 2 on an error.
    """
    from deconflict.plans.geojson import read_plans

    acknowledged = _known(ack)
    for item in known:
        ref, _, version = item.partition("=")
        if not ref or not version.isdigit():
            raise InputError(f"--known {item!r}: write REF=VERSION")
        acknowledged[ref] = int(version)
    found = read_plans(plans)
    answers: list[dict[str, Any]] = []
    with _open(db, hsep_nm, vsep_ft, sharing, allow_conflicts) as store:
        for p in found:
            try:
                f = store.file(p, acknowledged)
            except (RefusedError, NotFoundError) as e:
                answers.append({"plan_id": p.plan_id, "status": "refused", "version": None,
                                "ref": None, "error": str(e), "notices": []})  # fmt: skip
                continue
            answers.append({"plan_id": f.plan_id, "status": str(f.status), "version": f.version,
                            "ref": f.ref, "notices": list(f.notices)})  # fmt: skip
    with _atomic(output) as out:
        json.dump(answers, out, indent=1)
        out.write("\n")
    refused = [a for a in answers if a["version"] is None]
    _say(f"{len(answers) - len(refused)} of {len(answers)} plans accepted")
    if refused:
        sys.exit(1)


@plans_group.command("list")
@DB
@click.option("--party", help="Only this party's plans.")
@click.option("--state", "states", multiple=True,
              type=click.Choice(["accepted", "activated", "ended", "cancelled"]),
              help="Only plans in this state (repeatable; default: the live ones).")  # fmt: skip
def list_command(db: str | None, party: str | None, states: tuple[str, ...]) -> None:
    """List plans of a store as JSON lines: id, party, state, version, volumes."""
    from deconflict.plans.volume import LIVE_STATES, PlanState

    chosen = [PlanState(s) for s in states] or list(LIVE_STATES)
    with _open(db) as store:
        for sp in store.plans(party, chosen):
            p = sp.plan
            click.echo(json.dumps({"plan_id": p.plan_id, "party": p.party, "state": str(p.state),
                                   "status": sp.status, "version": p.version,
                                   "volumes": len(p.volumes), "ref": sp.ref}))  # fmt: skip


@plans_group.command("cancel")
@click.argument("plan_id")
@DB
@click.option("--party", required=True, help="The party the plan belongs to.")
def cancel_command(plan_id: str, db: str | None, party: str) -> None:
    """Cancel a plan: it stays on record but is no longer checked against."""
    with _open(db) as store:
        sp = store.cancel(plan_id, party)
    _say(f"plan {plan_id} cancelled (version {sp.plan.version})")


@plans_group.command("notices")
@DB
@click.option("--party", required=True, help="Whose notices.")
def notices_command(db: str | None, party: str) -> None:
    """A party's conflict notices, oldest first, as JSON lines."""
    with _open(db) as store:
        for n in store.notices(party):
            click.echo(json.dumps(n))
