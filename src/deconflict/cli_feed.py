"""``deconflict feed``: adapters that push a source's traffic into the line as a feed."""

from __future__ import annotations

import math
import time
from typing import Any

import click

from deconflict.errors import OptionError


def _say(line: str) -> None:
    click.echo(line, err=True)


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")  # [::1]:30003
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise OptionError(f"the receiver must be HOST:PORT (e.g. localhost:30003), not {text!r}")
    return host, int(port)


@click.group("feed")
def feed_group() -> None:
    """Push live traffic into the line with a feed key.

    \b
      deconflict feed sbs localhost:30003 --server http://line:8000 --key dk_...
    """


@feed_group.command("sbs")
@click.argument("receiver", metavar="HOST:PORT")
@click.option("--server", required=True, help="The line's URL, e.g. http://127.0.0.1:8000.")
@click.option(
    "--key",
    required=True,
    envvar="DECONFLICT_KEY",
    help="A feed key of the party the traffic belongs to (or $DECONFLICT_KEY).",
)
@click.option(
    "--batch-s",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60.0),
    help="Seconds between two pushes.",
)
@click.option(
    "--stale-s",
    default=10.0,
    show_default=True,
    type=click.FloatRange(1.0, 600.0),
    help="An aircraft whose position or velocity is older than this is not sent.",
)
@click.option(
    "--for-s",
    "for_s",
    type=click.FloatRange(0.0, None),
    help="Stop after this many seconds (default: run until interrupted).",
)
def sbs_command(
    receiver: str, server: str, key: str, batch_s: float, stale_s: float, for_s: float | None
) -> None:
    """Read an ADS-B receiver's SBS/BaseStation text over TCP (port 30003 of dump1090,
    readsb, BaseStation) and push its aircraft to the line.

    Each aircraft's latest callsign (MSG type 1), position (type 3) and velocity (type 4)
    make its state, sent once it has both a position and a velocity younger than
    --stale-s; every --batch-s the states that changed are pushed with `POST /v1/tracks`,
    stamped with the time their position arrived here. Malformed lines are counted and
    skipped. When the receiver cannot be reached or drops the connection, the feed says
    so on stderr and connects again (waiting up to 10 s); when the line is away or busy,
    that batch is dropped and the next one sent. A key the line refuses ends the feed
    with exit status 2.
    """
    from deconflict.client import MAX_STATES_PER_PUSH, ApiError, Client
    from deconflict.feeds.sbs import Assembler, run_feed

    host, port = _host_port(receiver)
    if not key.strip():
        raise OptionError("--key is empty: give a feed key of the party (dk_...)")
    if not server.startswith(("http://", "https://")):
        raise OptionError(f"--server must be an http:// or https:// URL, not {server!r}")
    assembler = Assembler(stale_s=stale_s)
    until_s = math.inf if for_s is None else time.time() + for_s
    with Client(server, key) as line:

        def push(states: list[dict[str, Any]]) -> None:
            for start in range(0, len(states), MAX_STATES_PER_PUSH):
                try:
                    line.push_tracks(states[start : start + MAX_STATES_PER_PUSH])
                except ApiError as e:
                    if e.status in (401, 403):
                        raise
                    _say(f"deconflict: warning: push of {len(states)} states failed: {e}")
                    return

        _say(f"deconflict: feeding {server} from the SBS receiver {host}:{port}")
        stats = run_feed(
            host,
            port,
            push,
            batch_s=batch_s,
            assembler=assembler,
            say=lambda s: _say(f"deconflict: {s}"),
            until_s=until_s,
        )
    bad = ", ".join(f"{why}: {n}" for why, n in assembler.malformed.most_common())
    _say(
        f"deconflict: {stats.states} states in {stats.pushes} pushes from {assembler.lines} "
        f"lines ({sum(assembler.malformed.values())} malformed{': ' + bad if bad else ''})"
    )
