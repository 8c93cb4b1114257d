"""`deconflict admin`, `deconflict audit` and `deconflict serve` as an operator meets them:
the token printed once on standard output, one-line errors with exit 2, and a broken audit
chain named with exit 1."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cli_run import run
from servers import free_port

Run = tuple[pytest.CaptureFixture[str], pytest.MonkeyPatch]


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Path, Run]:
    return tmp_path / "line.db", (capsys, monkeypatch)


def _run(cli: tuple[Path, Run], *args: str) -> tuple[int, str, str]:
    db, (capsys, monkeypatch) = cli
    return run([*args, "--db", str(db)], capsys, monkeypatch)


def test_an_operator_sets_up_a_line(cli: tuple[Path, Run]) -> None:
    assert (
        _run(cli, "admin", "party", "add", "blue", "Blue air group", "--member", "Wing 1")[0] == 0
    )
    assert _run(cli, "admin", "party", "add", "red", "Red air group")[0] == 0
    code, out, err = _run(cli, "admin", "key", "create", "officer", "--party", "blue")
    assert code == 0 and out.startswith("dk_") and "shown once" in err
    token = out.strip()
    code, out, _ = _run(cli, "admin", "agreement", "make", "blue", "red", "--sharing",
                        "coordination")  # fmt: skip
    agreement_id = out.strip()
    listed = [json.loads(x) for x in _run(cli, "admin", "agreement", "list")[1].splitlines()]
    assert [(a["agreement_id"], a["terms"]["sharing"]) for a in listed] == [
        (agreement_id, "coordination")
    ]
    assert _run(cli, "admin", "agreement", "suspend", agreement_id)[0] == 0
    assert _run(cli, "admin", "agreement", "resume", agreement_id)[0] == 0
    keys = [json.loads(x) for x in _run(cli, "admin", "key", "list")[1].splitlines()]
    assert len(keys) == 1 and token.split("_")[1] == keys[0]["key_id"]
    assert "token" not in keys[0] and token not in json.dumps(keys)
    assert _run(cli, "admin", "key", "revoke", keys[0]["key_id"])[0] == 0
    parties = [json.loads(x) for x in _run(cli, "admin", "party", "list")[1].splitlines()]
    assert parties[0]["members"] == ["Wing 1"]
    code, _, err = _run(cli, "audit", "verify")
    assert code == 0 and "intact: 7 records" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["admin", "party", "add", "blue"], "PARTY_ID and NAME"),
        (["admin", "party", "add", "Blue Group", "x"], "party_id"),
        (["admin", "key", "create"], "needs ROLE"),
        (["admin", "key", "create", "officer"], "needs a party"),
        (["admin", "key", "create", "pilot", "--party", "blue"], "not one of"),
        (["admin", "key", "revoke", "nope"], "no key"),
        (["admin", "agreement", "make", "blue"], "PARTY_A PARTY_B"),
        (["admin", "agreement", "make", "blue", "nobody"], "no party"),
        (["admin", "agreement", "make", "blue", "red", "--terms", "{"], "not JSON"),
        (["admin", "agreement", "make", "blue", "red", "--terms", '{"hsep_nm": -3}'], "hsep_nm"),
        (["admin", "agreement", "suspend", "nope"], "no agreement"),
        (["audit", "verify", "--receipt", "12"], "SEQ:SHA256"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    cli: tuple[Path, Run], args: list[str], words: str
) -> None:
    _run(cli, "admin", "party", "add", "blue", "Blue")
    _run(cli, "admin", "party", "add", "red", "Red")
    code, _, err = _run(cli, *args)
    assert code == 2 and err.startswith("deconflict: error:") and words in err
    assert len(err.strip().splitlines()) == 1


def test_a_tampered_chain_is_named_with_exit_1(cli: tuple[Path, Run]) -> None:
    for p in ("a", "b", "c"):
        _run(cli, "admin", "party", "add", p, p.upper())
    with sqlite3.connect(cli[0]) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 2")
    code, _, err = _run(cli, "audit", "verify")
    assert code == 1 and "broken at record 2: deleted" in err


def test_serve_answers_over_http(tmp_path: Path) -> None:
    """The real server (uvicorn), started as a user would, stopped with SIGTERM."""
    db = tmp_path / "line.db"
    port = free_port()
    command = [str(Path(sys.executable).parent / "deconflict"), "serve", "--db", str(db),
               "--port", str(port)]  # fmt: skip
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as proc:
        try:
            deadline = time.monotonic() + 30.0
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health") as r:
                        assert json.loads(r.read()) == {"ok": True}
                        break
                except OSError:
                    assert proc.poll() is None, "the server stopped"
                    assert time.monotonic() < deadline, "the server did not answer in 30 s"
                    time.sleep(0.2)
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/whoami")
            with e.value as answer:
                assert answer.code == 401
                assert json.loads(answer.read())["error"]["code"] == "unauthorized"
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=30)
    assert "serving the line on http://127.0.0.1" in err and "Traceback" not in err
