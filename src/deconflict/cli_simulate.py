"""``deconflict simulate``: generated traffic from a scenario, into a line or a file."""

from __future__ import annotations

import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deconflict.errors import InputError, OptionError
from deconflict.progress import progress_bar

if TYPE_CHECKING:
    from collections.abc import Callable

    from deconflict.sim.scenario import Scenario


def _say(line: str) -> None:
    click.echo(line, err=True)


def _keys(given: tuple[str, ...]) -> dict[str, str]:
    keys = {}
    for item in given:
        party, sep, key = item.partition("=")
        if not sep or not party or not key:
            raise OptionError(f"--key is PARTY=KEY (e.g. north=dk_...), not {item!r}")
        keys[party] = key
    return keys


#: the options of a simulated run, for `simulate` and `demo`
SPEED: dict[str, Any] = {"default": 1.0, "show_default": True,
                         "type": click.FloatRange(0.1, 100.0)}  # fmt: skip
DURATION: dict[str, Any] = {"type": click.FloatRange(1.0, 7 * 86400.0)}


@click.command("simulate")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--server", help="Feed the line at this URL (e.g. http://127.0.0.1:8000).")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the states to this CSV (canonical schema) instead, as fast as possible.",
)
@click.option("--speed", **SPEED, help="With --server: simulated seconds per real second.")
@click.option("--duration-s", **DURATION,
              help="Simulated seconds to run (default: the scenario's duration_s).")  # fmt: skip
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="PARTY=KEY",
    help="A party's feed key (repeatable); else the scenario's feed_key or feed_key_env.",
)
@click.option(
    "--officer-key",
    "officer_keys",
    multiple=True,
    metavar="PARTY=KEY",
    help="A party's officer key, to file its plans (repeatable); else the scenario's.",
)
def simulate_command(
    scenario: str,
    server: str | None,
    out: Path | None,
    speed: float,
    duration_s: float | None,
    keys: tuple[str, ...],
    officer_keys: tuple[str, ...],
) -> None:
    """Fly a scenario's traffic and feed it to a line (--server) or write it (--out).

    SCENARIO is a TOML file, or the name of a built-in one: `levant` (the eastern
    Mediterranean: two air groups that do not coordinate, a coalition member, civil
    overflights, scripted close encounters and a plan conflict). The scenario gives
    parties, bases, aircraft types (any OpenAP type, or one described from it), aircraft on
    routes, orbits, racetracks or patrol areas, civil overflight streams, scripted
    encounters and 4D plans; see docs/simulator.md.

    Aircraft climb, cruise and descend with OpenAP's WRAP performance of their type and
    fly geodesics on WGS84, one step (step_s, 1 s by default) at a time.

    \b
    With --server, each party's states are pushed with its feed key (POST /v1/tracks)
    every step, paced at --speed times real time and stamped with the line's present;
    the scenario's plans are filed with the parties' officer keys, acknowledging the
    conflicts the line reports when the plan says so.
    With --out, the canonical states CSV (as `deconflict detect` reads) is written from
    the scenario's start time, as fast as possible.

    \b
      deconflict simulate levant --out levant.csv --duration-s 600
      deconflict simulate levant --server http://127.0.0.1:8000 --speed 1 \\
          --key north=dk_... --key south=dk_... --key coalition=dk_... --key civil=dk_...
    """
    from deconflict.sim.scenario import load
    from deconflict.sim.traffic import Simulation

    if (server is None) == (out is None):
        raise OptionError("give either --server URL (feed a line) or --out FILE (write states)")
    loaded = load(scenario)
    sim = Simulation(loaded, duration_s)
    if out is not None:
        _write(sim, out)
        return
    assert server is not None
    if not server.startswith(("http://", "https://")):
        raise OptionError(f"--server must be an http:// or https:// URL, not {server!r}")
    feed_line(loaded, sim, server, speed, _keys(keys), _keys(officer_keys))


def _write(sim: Any, out: Path) -> None:
    from deconflict.sim.feed import write_csv

    started = time.perf_counter()
    try:
        with (
            open(out, "w", encoding="utf-8", newline="") as f,
            progress_bar("simulating", "s") as p,
        ):
            written = write_csv(sim, f, p)
    except OSError as e:
        raise InputError(f"{out}: cannot write ({e.strerror})") from None
    _say(
        f"deconflict: {written} states of {len(sim.flights)} aircraft over "
        f"{sim.duration_s:.0f} s in {time.perf_counter() - started:.1f} s -> {out}"
    )


def feed_line(
    scenario: Scenario,
    sim: Any,
    server: str,
    speed: float,
    feed_keys: dict[str, str],
    officer_keys: dict[str, str],
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = lambda s: _say(f"deconflict: {s}"),
) -> None:
    """Feed a simulation to the line at ``server``: one client per party key."""
    from deconflict.client import ApiError, Client
    from deconflict.sim.feed import parties_flying, run_live

    known = {p.party_id for p in scenario.parties}
    for given in (feed_keys, officer_keys):
        for party in given:
            if party not in known:
                raise OptionError(f"--key {party}=...: the scenario has no party {party!r}")
    flying = parties_flying(scenario, sim)
    feeds = {p: feed_keys.get(p) or scenario.party(p).feed_key for p in flying}
    missing = [p for p, k in feeds.items() if not k]
    if missing:
        raise OptionError(f"no feed key for {', '.join(missing)}: give --key PARTY=KEY")
    officers = {p.party_id: officer_keys.get(p.party_id) or p.officer_key for p in scenario.parties}
    clients: list[Client] = []
    try:
        pushers = {}
        for party, key in feeds.items():
            client = Client(server, key)
            clients.append(client)
            pushers[party] = client.push_tracks
        planners = {}
        for party, key in officers.items():
            if key:
                client = Client(server, key)
                clients.append(client)
                planners[party] = lambda doc, known, c=client: c.file_plan(doc, known)
        say(
            f"feeding {server} with {len(sim.flights)} aircraft of {', '.join(flying)} "
            f"at {speed:g}x for {sim.duration_s:.0f} simulated s"
        )
        try:
            stats = run_live(
                sim, pushers, speed=speed, clock=clock, sleep=sleep, planners=planners, say=say
            )
        except ApiError as e:
            raise OptionError(f"the line refused a key: {e}") from None
    finally:
        for client in clients:
            client.close()
    say(
        f"{stats.states} states in {stats.pushes} pushes ({stats.failed_pushes} failed), "
        f"{len(stats.filed)} plans filed"
    )


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def run_demo(
    scenario_name: str,
    db: str | None,
    host: str,
    port: int,
    speed: float,
    duration_s: float | None,
    tick_s: float = 0.5,
) -> None:
    """The live demo: a line on SQLite served here, set up for the scenario (parties,
    agreements, a feed and an officer key each), fed by the simulator until the run ends
    (or Ctrl-C), with the console's URL and each party's login key printed first."""
    import tempfile
    import threading

    import uvicorn

    from deconflict.client import Client
    from deconflict.line.line import Line
    from deconflict.service.app import create_app
    from deconflict.sim.scenario import load
    from deconflict.sim.setup import setup_line
    from deconflict.sim.traffic import Simulation

    scenario = load(scenario_name)
    sim = Simulation(scenario, duration_s)
    with tempfile.TemporaryDirectory(prefix="deconflict-demo-") as folder:
        url_db = db or f"sqlite:///{Path(folder) / 'line.db'}"
        line = Line.open(url_db)
        try:
            keys = setup_line(line, scenario)
            chosen = port or _free_port(host)
            app = create_app(line, tick_s=tick_s, rate_per_s=None)
            server = uvicorn.Server(
                uvicorn.Config(app, host=host, port=chosen, log_level="warning")
            )
            thread = threading.Thread(target=server.run, name="deconflict-demo", daemon=True)
            thread.start()
            base = f"http://{host}:{chosen}"
            with Client(base) as probe:
                for _ in range(200):
                    if server.started:
                        break
                    if not thread.is_alive():
                        raise OptionError(f"the demo's line could not listen on {base}")
                    time.sleep(0.05)
                probe.health()
            click.echo(f"deconflict demo: the line is serving at {base} (API docs: {base}/docs)")
            click.echo(f"console: {base}/console/  (log in with a party's officer key)")
            for party, k in keys.items():
                click.echo(f"  {party:<10} officer key {k.officer}")
            click.echo(
                f"simulating {scenario.name} at {speed:g}x for {sim.duration_s:.0f} s; "
                "Ctrl-C stops",
                nl=True,
            )
            with suppress(KeyboardInterrupt):
                feed_line(
                    scenario,
                    sim,
                    base,
                    speed,
                    {p: k.feed for p, k in keys.items()},
                    {p: k.officer for p, k in keys.items()},
                )
            counts = _alert_counts(base, keys)
            click.echo("alerts raised: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
            server.should_exit = True
            thread.join(timeout=10)
        finally:
            line.close()


def _alert_counts(base: str, keys: dict[str, Any]) -> dict[str, int]:
    """Alerts of the run by their highest level (each counted once)."""
    from deconflict.client import Client

    seen: dict[str, int] = {}
    for k in keys.values():
        with Client(base, k.officer) as officer:
            for a in officer.alerts():
                seen[a["alert_id"]] = int(a["max_level"])
    names = {0: "conflict only", 1: "preventive", 2: "corrective", 3: "warning"}
    return {name: sum(1 for v in seen.values() if v == level) for level, name in names.items()}
