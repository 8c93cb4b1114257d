"""The duty officer's console in a real browser: Playwright drives Debian's Chromium
headless against a real server (``deconflict serve`` on a temporary SQLite line) that
feeds push tracks into. Two parties, a and b, in an agreement at ``safety``.

Each step's screenshot goes to ``$DECONFLICT_ARTIFACTS`` (default ``build/artifacts``).
Skipped, saying why, without ``/usr/bin/chromium`` (``make chromium`` installs it).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from deconflict.client import Client
from deconflict.line.line import OPERATOR, Line
from servers import free_port, start_server

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (make chromium installs it)"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ARTIFACTS = Path(os.environ.get("DECONFLICT_ARTIFACTS", "build/artifacts")) / "console"
#: Chromium's flags: WebGL on the CPU (SwiftShader), as on a machine with no GPU
CHROMIUM_ARGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--ignore-gpu-blocklist"]

#: a's aircraft whose id and callsign must never reach b (agreement at ``safety``)
SECRET_JET, SECRET_CALLSIGN = "a-hidden-jet", "HIDDEN7"


def state(ident: str, lon: float, lat: float, track_deg: float, *, callsign: str | None = None,
          alt_ft: float = 30_000.0, gs_kt: float = 420.0) -> dict[str, Any]:  # fmt: skip
    s: dict[str, Any] = {"id": ident, "time_s": time.time(), "latitude_deg": lat,
                         "longitude_deg": lon, "altitude_ft": alt_ft, "groundspeed_kt": gs_kt,
                         "track_deg": track_deg, "vertical_rate_fpm": 0.0}  # fmt: skip
    if callsign:
        s["callsign"] = callsign
    return s


@dataclass
class Flight:
    """An aircraft flying a straight line from where it was at ``t0`` (dead reckoning on a
    local flat earth: ample for a few minutes)."""

    party: str
    ident: str
    lon: float
    lat: float
    track_deg: float
    callsign: str | None = None
    gs_kt: float = 420.0
    t0: float = field(default_factory=time.time)

    def now(self) -> dict[str, Any]:
        dt = time.time() - self.t0
        d_deg = self.gs_kt * 1852.0 / 3600.0 * dt / 111_320.0
        rad = math.radians(self.track_deg)
        lat = self.lat + d_deg * math.cos(rad)
        lon = self.lon + d_deg * math.sin(rad) / math.cos(math.radians(self.lat))
        return state(self.ident, lon, lat, self.track_deg, callsign=self.callsign,
                     gs_kt=self.gs_kt)  # fmt: skip


class Traffic(threading.Thread):
    """Pushes every flight's state once a second, through each party's feed."""

    def __init__(self, url: str, feeds: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.clients = {p: Client(url, key) for p, key in feeds.items()}
        self.flights: list[Flight] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def add(self, *flights: Flight) -> None:
        with self.lock:
            self.flights.extend(flights)
        self.push()

    def push(self) -> None:
        with self.lock:
            by_party: dict[str, list[dict[str, Any]]] = {}
            for f in self.flights:
                by_party.setdefault(f.party, []).append(f.now())
        for party, states in by_party.items():
            self.clients[party].push_tracks(states)

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            self.push()

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)
        for c in self.clients.values():
            c.close()


@dataclass
class Line2:
    """The line under test: its URL, keys, traffic, and a browser."""

    url: str
    keys: dict[str, str]
    traffic: Traffic
    browser: Any
    encounters: int = 0

    def encounter(self, lon: float, lat: float, a_ident: str, a_callsign: str) -> None:
        """a's aircraft and b's head-on at FL300, 10 NM apart about (lon, lat): an alert
        that rises to a warning, and ends when they have passed (about a minute)."""
        half = 5.0 / 60.0 / math.cos(math.radians(lat))
        self.encounters += 1
        self.traffic.add(Flight("a", a_ident, lon - half, lat, 90.0, a_callsign),
                         Flight("b", f"red-jet-{self.encounters}", lon + half, lat, 270.0,
                                "BRAVO1"))  # fmt: skip

    def officer(self, party: str) -> Client:
        return Client(self.url, self.keys[f"officer_{party}"])


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line2]:
    db = tmp_path_factory.mktemp("console") / "line.db"
    keys = {}
    with Line.open(f"sqlite:///{db}") as ln:
        ln.add_party(OPERATOR, "a", "Blue air group")
        ln.add_party(OPERATOR, "b", "Red air group")
        ln.make_agreement(OPERATOR, "a", "b", {"sharing": "safety",
                                               "allow_plan_conflicts": True})  # fmt: skip
        for who, role, party in [("officer_a", "officer", "a"), ("officer_b", "officer", "b"),
                                 ("feed_a", "feed", "a"), ("feed_b", "feed", "b"),
                                 ("observer_b", "observer", "b")]:  # fmt: skip
            keys[who] = ln.create_key(OPERATOR, role, party, who)[1]
    port = free_port()
    proc = start_server(db, port, "--rate-limit", "0", "--tick-s", "0.5")
    url = f"http://127.0.0.1:{port}"
    traffic = Traffic(url, {"a": keys["feed_a"], "b": keys["feed_b"]})
    traffic.add(*(Flight("a", f"blue-jet-{i}", 32.0 + 0.4 * i, 33.0 + 0.25 * i, 45.0 * i,
                         f"BLUE{i:02d}") for i in range(6)))  # fmt: skip
    traffic.start()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield Line2(url, keys, traffic, browser)
        finally:
            browser.close()
            traffic.stop()
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def open_console(line: Line2, who: str) -> Any:
    """A new page logged in as ``who``, once the console is live."""
    page = line.browser.new_page(viewport={"width": 1400, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(f"{line.url}/console/")
    page.fill("#login-key", line.keys[who])
    page.click("#login button[type=submit]")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.wait_for_selector("#link[data-state=live]", timeout=10_000)
    return page


def tracks(page: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("window.deconflictConsole.state.tracks")
    return found


# -- the scenarios -----------------------------------------------------------------------


def test_the_console_is_served_from_the_package_without_a_key(line: Line2) -> None:
    with urllib.request.urlopen(f"{line.url}/console") as r:  # redirected to /console/
        html = r.read().decode()
        assert r.url.endswith("/console/")
    assert "vendor/maplibre-gl.js" in html and "https://" not in html
    with urllib.request.urlopen(f"{line.url}/console/js/main.js") as r:
        assert r.headers["content-type"].startswith("text/javascript")


def test_a_wrong_key_is_refused_at_the_door(line: Line2) -> None:
    page = line.browser.new_page()
    page.goto(f"{line.url}/console/")
    page.fill("#login-key", "dk_not-a-key")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login-error:has-text('not valid')")
    assert page.is_hidden("#console")
    page.close()


def test_a_logs_in_and_sees_its_aircraft_move(line: Line2) -> None:
    page = open_console(line, "officer_a")
    assert page.inner_text("#who") == "Blue air group · officer"
    page.wait_for_function("window.deconflictConsole.state.tracks.length >= 6")
    first = {t["id"]: t for t in tracks(page)}
    page.wait_for_timeout(2500)
    later = {t["id"]: t for t in tracks(page)}
    where = {i: (t["latitude_deg"], t["longitude_deg"]) for i, t in first.items()}
    moved = [i for i, t in later.items() if i in where
             and where[i] != (t["latitude_deg"], t["longitude_deg"])]  # fmt: skip
    assert len(moved) >= 5
    assert later["blue-jet-0"]["latitude_deg"] > first["blue-jet-0"]["latitude_deg"]  # north
    # drawn by the map, not only held: the aircraft layer has them on screen
    drawn = page.evaluate(
        "window.deconflictConsole.map().queryRenderedFeatures({layers: ['aircraft']}).length"
    )
    assert drawn >= 6
    assert "own" in page.inner_text("#counts")
    # pushed by the line on the picture socket, not polled
    page.wait_for_function("window.deconflictConsole.state.tracksVia === 'pushed'")
    assert "(pushed)" in page.inner_text("#counts")
    shot(page, "1-a-sees-its-aircraft")
    assert page.errors == []
    page.close()


@contextmanager
def picture_socket(line: Line2, who: str) -> Iterator[Any]:
    """A client of the picture socket, logged in as ``who`` (the key in the first message,
    as the console does; a key made up when ``who`` has none)."""
    with connect(line.url.replace("http://", "ws://") + "/v1/picture/ws", open_timeout=10) as ws:
        ws.send(json.dumps({"key": line.keys.get(who, "dk_not-a-key")}))
        yield ws


def test_the_picture_socket_pushes_what_get_tracks_answers(line: Line2) -> None:
    with line.officer("a") as a:
        polled = {t["id"] for t in a.request("GET", "/v1/tracks")["tracks"]}
    with line.officer("b") as b:
        polled_b = {t["id"] for t in b.request("GET", "/v1/tracks")["tracks"]}
    assert len(polled) >= 6 and not polled & polled_b
    with picture_socket(line, "officer_a") as ws:
        pictures = [json.loads(ws.recv(timeout=5)) for _ in range(4)]
    # at least one a second, each as GET /v1/tracks answers it (the aircraft move on)
    times = [p["time_s"] for p in pictures]
    assert times == sorted(times) and times[-1] - times[0] <= 3 * 1.0 + 0.5
    assert polled <= {t["id"] for t in pictures[-1]["tracks"]}
    with line.officer("a") as a:
        fields = {k for t in a.request("GET", "/v1/tracks")["tracks"] for k in t}
    assert {k for t in pictures[-1]["tracks"] for k in t} == fields
    # b and its observer: b's aircraft only (the agreement is at ``safety``)
    for who in ("officer_b", "observer_b"):
        with picture_socket(line, who) as ws:
            seen = {t["id"] for t in json.loads(ws.recv(timeout=5))["tracks"]}
        assert all(i.startswith("red-jet-") for i in seen) and not seen & polled


@pytest.mark.parametrize(("who", "code", "error"), [
    ("nobody", 4401, "unauthorized"), ("feed_a", 4403, "forbidden")])  # fmt: skip
def test_the_picture_socket_refuses_a_wrong_key_and_a_feed(
    line: Line2, who: str, code: int, error: str
) -> None:
    with picture_socket(line, who) as ws:
        assert json.loads(ws.recv(timeout=5))["error"]["code"] == error
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert ws.close_code == code


def test_the_console_polls_while_the_picture_socket_fails_and_reconnects(line: Line2) -> None:
    page = line.browser.new_page(viewport={"width": 1400, "height": 860})
    # a proxy that does not pass the picture socket: the console polls instead
    page.add_init_script("""(() => {
      const Real = window.WebSocket;
      window.WebSocket = function (url, ...rest) {
        if (String(url).includes('/v1/picture/ws') && window.__blockPictures !== false) {
          throw new DOMException('blocked by the test', 'SecurityError');
        }
        return new Real(url, ...rest);
      };
      window.WebSocket.prototype = Real.prototype;
      Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
    })()""")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{line.url}/console/")
    page.fill("#login-key", line.keys["officer_a"])
    page.click("#login button[type=submit]")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.wait_for_function("window.deconflictConsole.state.tracks.length >= 6")
    first = page.evaluate("window.deconflictConsole.state.tracksAt")
    page.wait_for_function(f"window.deconflictConsole.state.tracksAt > {first} + 1.5")
    assert page.evaluate("window.deconflictConsole.state.tracksVia") == "polled"
    assert "(polled)" in page.inner_text("#counts")
    # the socket passes again: the console follows it by itself (it retries within 2 s,
    # then within 4 s, ...), and polls no more
    page.evaluate("window.__blockPictures = false")
    page.wait_for_function("window.deconflictConsole.state.tracksVia === 'pushed'",
                           timeout=20_000)  # fmt: skip
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/v1/tracks") else None)
    page.wait_for_timeout(2500)
    assert polls == []
    # a broken socket: it reconnects a second later, and polls meanwhile if it must
    sockets: list[Any] = []
    page.on("websocket", lambda ws: sockets.append(ws) if "/v1/picture/ws" in ws.url else None)
    page.evaluate("window.deconflictConsole.pictures().socket.close()")
    page.wait_for_function("(p => p.socket.readyState === 1 && p.live)"
                           "(window.deconflictConsole.pictures())", timeout=10_000)  # fmt: skip
    assert len(sockets) == 1
    was = page.evaluate("window.deconflictConsole.state.tracksAt")
    page.wait_for_function(f"window.deconflictConsole.state.tracksAt > {was}")
    assert page.evaluate("window.deconflictConsole.state.tracksVia") == "pushed"
    assert errors == []
    page.close()


def test_an_alert_appears_and_is_acknowledged(line: Line2) -> None:
    page = open_console(line, "officer_a")
    line.encounter(35.0, 32.5, "blue-alert-jet", "BLUE77")
    card = page.wait_for_selector(".card.alert:has-text('BLUE77')", timeout=15_000)
    assert card.get_attribute("data-level") in {"1", "2", "3"}
    assert "CPA in" in card.inner_text() or "separation lost" in card.inner_text()
    # on the map: both aircraft, their predicted tracks and the closest approach
    page.click(".card.alert:has-text('BLUE77') b")
    page.wait_for_timeout(1500)
    kinds = page.evaluate(
        "window.deconflictConsole.map().queryRenderedFeatures({layers: ['alert-points']})"
        ".map(f => f.properties.kind)"
    )
    assert {"own", "other"} <= set(kinds)
    shot(page, "2-an-alert")
    page.click(".card.alert:has-text('BLUE77') button[data-ack]")
    page.wait_for_selector(".card.alert:has-text('BLUE77') .acked", timeout=10_000)
    alert_id = card.get_attribute("data-alert")
    with line.officer("a") as a:
        acks = a.request("GET", f"/v1/alerts/{alert_id}")["acks"]
    assert [k["party"] for k in acks] == ["a"]
    shot(page, "3-the-alert-acknowledged")
    assert page.errors == []
    page.close()


def draw_circle(page: Any, dx: int = 60) -> None:
    """A circle about the middle of the map, ``dx`` pixels wide."""
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.click(".tabs [data-tab=plans]")
    page.click("[data-draw=circle]")
    page.mouse.click(cx, cy)
    page.mouse.move(cx + dx / 2, cy)
    page.mouse.click(cx + dx, cy)
    page.wait_for_selector("#draw-hint:has-text('Circle of')")


def center_on(page: Any, lon: float, lat: float, zoom: float) -> None:
    page.evaluate(
        f"window.deconflictConsole.map().jumpTo({{center: [{lon}, {lat}], zoom: {zoom}}})"
    )
    page.wait_for_timeout(300)


def file_plan(page: Any, plan_id: str, start: str = "2030-01-01T08:00") -> None:
    page.click(".tabs [data-tab=plans]")
    page.fill("#plan-form [name=plan_id]", plan_id)
    page.fill("#plan-form [name=time_start]", start)
    page.fill("#plan-form [name=time_end]", start.replace("T08", "T10"))
    page.click("#plan-file")


def b_plan(line: Line2, plan_id: str, lon: float, lat: float) -> None:
    """b's plan (a circle of 30 km, FL100-200, 2030-01-01 08:00-10:00), filed by its API."""
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "plan_id": plan_id, "radius_m": 30_000, "alt_lower_ft": 10_000, "alt_upper_ft": 20_000,
        "time_start": "2030-01-01T08:00:00Z", "time_end": "2030-01-01T10:00:00Z"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}  # fmt: skip
    with line.officer("b") as b:
        assert b.request("POST", "/v1/plans", json_body={"plan": fc})["status"] == "accepted"


def test_a_files_a_plan_that_conflicts_with_bs_and_sees_the_notice(line: Line2) -> None:
    b_plan(line, "b-exercise-1", 30.0, 35.0)
    page = open_console(line, "officer_a")
    center_on(page, 30.0, 35.0, 8)
    draw_circle(page)
    file_plan(page, "a-sortie-1")
    page.wait_for_selector("#plan-result .state-missed", timeout=10_000)
    assert "Red air group" in page.inner_text("#plan-result")
    shot(page, "4-a-plan-in-conflict")
    page.click("#plan-ack")
    page.wait_for_selector("#plan-result .state-accepted_with_conflicts", timeout=10_000)
    page.wait_for_selector("#notices .notice:has-text('a-sortie-1')", timeout=10_000)
    notice = page.inner_text("#notices .notice:has-text('a-sortie-1')")
    assert "Red air group" in notice and "10000–20000 ft" in notice and "cell" in notice
    page.wait_for_selector("#plans [data-plan=a-sortie-1]")
    shot(page, "5-the-plan-filed-with-its-notice")
    assert page.errors == []
    page.close()


def send_urgent(page: Any, text: str) -> None:
    page.click(".tabs [data-tab=hotline]")
    page.click("#new-thread")
    page.select_option("#compose [name=to_party]", "b")
    page.fill("#compose [name=subject]", "Traffic east of the exercise area")
    page.select_option("#compose [name=template]", "free")
    page.select_option("#compose [name=priority]", "urgent")
    page.fill("#compose [name=f_text]", text)
    page.click("#compose button[type=submit]")
    page.wait_for_selector("#compose-result:has-text('Sent')")


def test_an_urgent_message_from_a_shows_on_b_with_a_countdown(line: Line2) -> None:
    a = open_console(line, "officer_a")
    b = open_console(line, "officer_b")
    b.click(".tabs [data-tab=hotline]")
    send_urgent(a, "Climbing to FL320 in 2 minutes")
    b.wait_for_selector("#threads .thread:has-text('Traffic east')", timeout=10_000)
    assert b.inner_text("#n-hotline") != ""
    b.click("#threads .thread:has-text('Traffic east')")
    msg = b.wait_for_selector(".msg:has-text('Climbing to FL320')")
    assert "URGENT" in msg.inner_text()
    b.wait_for_selector(".msg:has-text('Climbing to FL320') .countdown")
    countdown = b.locator(".msg:has-text('Climbing to FL320') .countdown")
    first = countdown.inner_text()
    assert ":" in first and first.startswith(("1:", "2:"))  # urgent: 2 minutes to acknowledge
    b.wait_for_timeout(2200)
    assert countdown.inner_text() != first  # it counts down
    shot(b, "6-b-sees-an-urgent-message")
    # a sees the receipts: delivered (b's console fetched it), then acknowledged
    a.click("#threads .thread:has-text('Traffic east')")
    a.wait_for_selector(".msg:has-text('Climbing to FL320') .receipts:has-text('delivered')")
    b.click(".msg:has-text('Climbing to FL320') [data-hack]")
    a.wait_for_selector(".msg:has-text('Climbing to FL320') .receipts .acked", timeout=10_000)
    shot(a, "7-a-sees-the-acknowledgement")
    assert a.errors == [] and b.errors == []
    a.close()
    b.close()


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)


def test_b_never_receives_as_plan_outline_callsigns_or_ids(line: Line2) -> None:
    received: list[str] = []
    b = line.browser.new_page(viewport={"width": 1400, "height": 860})

    def on_response(r: Any) -> None:
        if "/v1/" not in r.url:  # the console's own files: public, the same for everyone
            return
        try:
            received.append(r.text())
        except Exception:  # a redirect or an aborted request has no body
            received.append("")

    errors: list[str] = []
    b.on("pageerror", lambda e: errors.append(str(e)))
    b.on("response", on_response)
    frames: list[str] = []  # the sockets': the events, and the pictures pushed

    def on_frame(f: str | bytes) -> None:
        frames.append(f if isinstance(f, str) else f.decode())
        received.append(frames[-1])

    b.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    b.goto(f"{line.url}/console/")
    b.fill("#login-key", line.keys["officer_b"])
    b.click("#login button[type=submit]")
    b.wait_for_selector("body[data-ready=true]", timeout=30_000)
    # what a does meanwhile: an encounter of its hidden jet with b's, a plan over b's, a message
    line.encounter(28.0, 36.0, SECRET_JET, SECRET_CALLSIGN)
    b.wait_for_selector(".card.alert:has-text('anonymous track')", timeout=20_000)
    center_on(b, 28.0, 36.0, 8)
    b.wait_for_timeout(1500)
    shot(b, "8-b-sees-an-anonymous-track")
    b_plan(line, "b-exercise-2", 26.0, 37.0)
    a = open_console(line, "officer_a")
    center_on(a, 26.05, 37.02, 8)
    draw_circle(a, 80)
    file_plan(a, "a-secret-sortie")
    a.wait_for_selector("#plan-result .state-missed", timeout=10_000)
    a.click("#plan-ack")
    a.wait_for_selector("#plan-result .state-accepted_with_conflicts", timeout=10_000)
    send_urgent(a, "Our sortie crosses your exercise area")
    # b's console shows the notice and the message too
    b.click(".tabs [data-tab=plans]")
    b.wait_for_selector("#notices .notice:has-text('b-exercise-2')", timeout=10_000)
    b.click(".tabs [data-tab=hotline]")
    b.wait_for_selector("#threads .thread:has-text('Traffic east')", timeout=10_000)
    shot(b, "9-b-sees-the-message")
    with line.officer("a") as officer_a:
        (mine,) = [p for p in officer_a.request("GET", "/v1/plans")
                   if p["plan_id"] == "a-secret-sortie"]  # fmt: skip
        ids = {t["id"] for t in officer_a.request("GET", "/v1/tracks")["tracks"]}
        callsigns = {
            t["callsign"]
            for t in officer_a.request("GET", "/v1/tracks")["tracks"]
            if t.get("callsign")
        }
    outline = set(_numbers(mine["volumes"]["features"][0]["geometry"]["coordinates"]))
    outline.add(float(mine["volumes"]["features"][0]["properties"]["radius_m"]))
    assert SECRET_JET in ids and SECRET_CALLSIGN in callsigns and len(ids) >= 7
    dom = b.content() + b.inner_text("body")
    assert len(received) > 10
    assert sum(text.startswith('{"time_s":') for text in frames) >= 5  # pictures, pushed
    for text in [dom, *received]:
        for secret in [*ids, *callsigns, "a-secret-sortie"]:
            assert secret not in text, f"{secret!r} reached b"
        try:
            numbers = set(_numbers(json.loads(text)))
        except ValueError:
            continue
        assert not numbers & outline, "a's plan outline reached b"
    assert errors == []
    a.close()
    b.close()
