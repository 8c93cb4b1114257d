"""``deconflict serve``, ``deconflict admin`` and ``deconflict audit``: run a line and
operate it from the machine that holds its database (as the line's operator)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from deconflict.errors import InputError, OptionError

if TYPE_CHECKING:
    from deconflict.line.line import Line

DB_HELP = (
    "The line's database: sqlite:///PATH (or a plain path; created when missing) or "
    "postgresql://USER@HOST/DB. Default: $DECONFLICT_DB, else deconflict.db here."
)
DB = click.option("--db", help=DB_HELP)


def _say(line: str) -> None:
    click.echo(line, err=True)


@contextmanager
def _line(db: str | None) -> Iterator[Line]:
    from deconflict.line.line import Line

    line = Line.open(db or os.environ.get("DECONFLICT_DB") or "deconflict.db")
    try:
        yield line
    finally:
        line.close()


def _json(value: Any) -> None:
    click.echo(json.dumps(value, sort_keys=True))


@click.command("serve")
@DB
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")  # fmt: skip
@click.option("--rate-limit", "rate_per_s", default=50.0, show_default=True,
              type=click.FloatRange(0.0, 1e6),
              help="Requests a second each client may make (by API key, else by address), "
                   "after its burst; 0 turns the limit off.")  # fmt: skip
@click.option("--burst", default=200, show_default=True, type=click.IntRange(1, 10**6),
              help="Requests a client may make at once.")  # fmt: skip
@click.option("--tick-s", default=0.5, show_default=True, type=click.FloatRange(0.05, 60.0),
              help="Seconds between two assessments of the live tracks (and the hotline's "
                   "escalations); the alerts' M-of-N filter spans the same seconds whatever "
                   "it is.")  # fmt: skip
def serve_command(
    db: str | None, host: str, port: int, rate_per_s: float, burst: int, tick_s: float
) -> None:
    """Run the line: the HTTP API (OpenAPI at /docs) on the database.

    Create parties, keys and agreements first with `deconflict admin`; clients then call
    the API with `Authorization: Bearer <key>`. A client over its rate limit is answered
    429 with Retry-After.
    """
    import uvicorn

    from deconflict.service.app import create_app

    with _line(db) as line:
        _say(f"deconflict: serving the line on http://{host}:{port} (API docs: /docs)")
        app = create_app(line, rate_per_s=rate_per_s or None, burst=burst, tick_s=tick_s)
        uvicorn.run(app, host=host, port=port, log_level="warning")


@click.group("admin")
def admin_group() -> None:
    """Operate the line: parties, API keys, agreements (as its operator, on its database).

    \b
      deconflict admin party add blue "Blue air group"
      deconflict admin key create officer --party blue --label "blue duty officer"
      deconflict admin agreement make blue red --sharing safety
    """


@admin_group.command("party")
@click.argument("action", type=click.Choice(["add", "list"]))
@click.argument("party_id", required=False)
@click.argument("name", required=False)
@click.option("--member", "members", multiple=True, help="A member organisation (repeatable).")
@DB
def party_command(
    action: str, party_id: str | None, name: str | None, members: tuple[str, ...], db: str | None
) -> None:
    """Add a party (PARTY_ID NAME), or list them as JSON lines."""
    from deconflict.line.line import OPERATOR

    with _line(db) as line:
        if action == "list":
            for p in line.parties(OPERATOR):
                _json(p.as_json())
            return
        if not party_id or not name:
            raise OptionError("party add needs PARTY_ID and NAME")
        p = line.add_party(OPERATOR, party_id, name, members)
        _say(f"party {p.party_id} added")


@admin_group.command("key")
@click.argument("action", type=click.Choice(["create", "revoke", "list"]))
@click.argument("arg", required=False, metavar="[ROLE | KEY_ID]")
@click.option("--party", help="The party the key acts for (every role but admin).")
@click.option("--label", default="", help="Whose key it is, for the list.")
@click.option("--expires-s", type=float, help="When it stops working (seconds since 1970).")
@DB
def key_command(
    action: str, arg: str | None, party: str | None, label: str, expires_s: float | None,
    db: str | None,
) -> None:  # fmt: skip
    """Create a key (ROLE: admin, officer, feed, observer; its token is printed once, on
    standard output), revoke one (KEY_ID), or list them as JSON lines."""
    from deconflict.line.line import OPERATOR

    with _line(db) as line:
        if action == "list":
            for k in line.keys(OPERATOR, party):
                _json(k.as_json())
            return
        if not arg:
            raise OptionError(f"key {action} needs {'ROLE' if action == 'create' else 'KEY_ID'}")
        if action == "revoke":
            line.revoke_key(OPERATOR, arg)
            _say(f"key {arg} revoked")
            return
        info, token = line.create_key(OPERATOR, arg, party, label, expires_s)
        _say(f"key {info.key_id} ({info.role}{', ' + party if party else ''}) created; "
             "its token is shown once:")  # fmt: skip
        click.echo(token)


@admin_group.command("agreement")
@click.argument("action", type=click.Choice(["make", "suspend", "resume", "terminate", "list"]))
@click.argument("args", nargs=-1)
@click.option("--terms", "terms_json", help="The terms as JSON (see the API's docs).")
@click.option("--sharing", type=click.Choice(["safety", "coordination"]),
              help="What the parties share (default: safety).")  # fmt: skip
@DB
def agreement_command(
    action: str, args: tuple[str, ...], terms_json: str | None, sharing: str | None,
    db: str | None,
) -> None:  # fmt: skip
    """Make an agreement (PARTY_A PARTY_B), suspend, resume or terminate one
    (AGREEMENT_ID), or list them as JSON lines."""
    from deconflict.line.agreements import AgreementStatus
    from deconflict.line.line import OPERATOR

    terms: dict[str, Any] = {}
    if terms_json:
        try:
            terms = json.loads(terms_json)
        except ValueError as e:
            raise InputError(f"--terms is not JSON ({e})") from None
        if not isinstance(terms, dict):
            raise InputError("--terms must be a JSON object")
    if sharing:
        terms["sharing"] = sharing
    with _line(db) as line:
        if action == "list":
            for a in line.agreements(OPERATOR):
                _json(a.as_json())
            return
        if action == "make":
            if len(args) != 2:
                raise OptionError("agreement make needs PARTY_A PARTY_B")
            made = line.make_agreement(OPERATOR, args[0], args[1], terms)
            _say(f"agreement {made.agreement_id} between {args[0]} and {args[1]} in force")
            click.echo(made.agreement_id)
            return
        if len(args) != 1:
            raise OptionError(f"agreement {action} needs AGREEMENT_ID")
        status = {"suspend": AgreementStatus.SUSPENDED, "resume": AgreementStatus.IN_FORCE,
                  "terminate": AgreementStatus.TERMINATED}[action]  # fmt: skip
        current = line.agreement(OPERATOR, args[0])
        changed = line.change_agreement(OPERATOR, args[0], current.version, status)
        _say(f"agreement {changed.agreement_id} {changed.status}")


@click.group("audit")
def audit_group() -> None:
    """The line's tamper-evident audit trail."""


@audit_group.command("verify")
@DB
@click.option("--receipt", help="A receipt SEQ:SHA256 a client was given: check it too.")
def verify_command(db: str | None, receipt: str | None) -> None:
    """Walk the audit chain: exit 0 when it is whole; else name the first record
    modified, inserted or deleted, and exit 1."""
    from deconflict.line.audit import Receipt
    from deconflict.line.line import OPERATOR

    given = None
    if receipt:
        seq, _, sha = receipt.partition(":")
        if not seq.isdigit() or len(sha) != 64:
            raise OptionError("--receipt is SEQ:SHA256 (a number, a colon, 64 hex digits)")
        given = Receipt(int(seq), sha.lower())
    with _line(db) as line:
        count, broken = line.verify_audit(OPERATOR, given)
    if broken is None:
        _say(f"audit chain intact: {count} records")
        return
    _say(f"audit chain broken at record {broken.seq}: {broken.what}: {broken.detail} "
         f"({count} records before it hold)")  # fmt: skip
    raise click.exceptions.Exit(1)
