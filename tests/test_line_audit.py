"""The audit chain: appended in the transaction of each change, on both backends; every
kind of tampering found at the first record it touches (a simple walk is the reference)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deconflict.errors import RefusedError
from deconflict.line import audit
from deconflict.line.line import OPERATOR, Line

Row = tuple[int, float, str, str, str, str, str]


def chain(n: int) -> list[Row]:
    """n records made by ``audit.record_sha256``, as the table holds them."""
    rows: list[Row] = []
    prev = audit.GENESIS
    for seq in range(1, n + 1):
        body = audit.canonical({"n": seq, "text": "é" * (seq % 3)})
        at_s = 1_795_510_800.0 + seq / 3.0
        sha = audit.record_sha256(prev, seq, at_s, f"kind{seq % 4}", "admin:-:k", body)
        rows.append((seq, at_s, f"kind{seq % 4}", "admin:-:k", body, prev, sha))
        prev = sha
    return rows


def reference_sha256(row: Row) -> str:
    """The record's hash written out plainly: the previous hash, a newline, the JSON list
    of number, time (Python's repr), kind and actor, a newline, the body."""
    seq, at_s, kind, actor, body, prev, _ = row
    head = json.dumps([seq, repr(at_s), kind, actor], separators=(",", ":"))
    return hashlib.sha256(f"{prev}\n{head}\n{body}".encode()).hexdigest()


def test_hashes_match_the_plain_definition_and_the_chain_links() -> None:
    rows = chain(5)
    for i, row in enumerate(rows):
        assert row[6] == reference_sha256(row)
        assert row[5] == (rows[i - 1][6] if i else audit.GENESIS)
    assert audit.verify(rows) == (5, None)
    assert audit.verify([]) == (0, None)


def test_canonical_json_is_one_text_per_value() -> None:
    assert audit.canonical({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"\\u00e9"],"b":1}'
    with pytest.raises(ValueError):
        audit.canonical({"x": float("nan")})


@given(n=st.integers(2, 12), data=st.data())
def test_a_changed_field_is_found_at_its_record(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    k = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from([1, 2, 3, 4]))  # time, kind, actor, body
    seq, at_s, kind, actor, body, prev, sha = rows[k]
    if field == 1:
        at_s += 1.0
    elif field == 2:
        kind += "x"
    elif field == 3:
        actor += "x"
    else:
        body += "x"
    rows[k] = (seq, at_s, kind, actor, body, prev, sha)
    count, broken = audit.verify(rows)
    assert broken is not None and (broken.seq, broken.what) == (k + 1, "modified")
    assert count == k


@given(n=st.integers(2, 12), data=st.data())
def test_a_record_rewritten_with_a_new_hash_is_found_by_the_next(
    n: int, data: st.DataObject
) -> None:
    rows = chain(n)
    k = data.draw(st.integers(0, n - 2))  # not the last: nothing follows it
    seq, at_s, kind, actor, _, prev, _ = rows[k]
    body = audit.canonical({"forged": True})
    rows[k] = (seq, at_s, kind, actor, body, prev,
               audit.record_sha256(prev, seq, at_s, kind, actor, body))  # fmt: skip
    count, broken = audit.verify(rows)
    assert broken is not None and (broken.seq, broken.what) == (k + 1, "modified")
    assert count == k


@given(n=st.integers(3, 12), data=st.data())
def test_a_deleted_record_is_named(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    k = data.draw(st.integers(0, n - 2))
    del rows[k]
    count, broken = audit.verify(rows)
    assert broken is not None and (broken.seq, broken.what) == (k + 1, "deleted")
    assert count == k


@given(n=st.integers(2, 12), data=st.data())
def test_an_inserted_record_is_named(n: int, data: st.DataObject) -> None:
    """A forged record put after record k, hashed on k, with the records after it
    renumbered (their hashes left: remaking them is remaking the chain)."""
    rows = chain(n)
    k = data.draw(st.integers(1, n - 1))
    prev = rows[k - 1][6]
    body = audit.canonical({"forged": True})
    at_s = rows[k - 1][1]
    forged = (k + 1, at_s, "kind0", "admin:-:k", body, prev,
              audit.record_sha256(prev, k + 1, at_s, "kind0", "admin:-:k", body))  # fmt: skip
    later = [(r[0] + 1, *r[1:]) for r in rows[k:]]
    count, broken = audit.verify([*rows[:k], forged, *later])
    # the forged record links well; the next one was renumbered: its hash has its number
    assert broken is not None and (broken.seq, broken.what) == (k + 1, "inserted")
    assert count == k + 1


@given(n=st.integers(3, 12), data=st.data())
def test_a_deletion_with_the_later_records_renumbered_is_named(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    k = data.draw(st.integers(0, n - 2))
    later = [(r[0] - 1, *r[1:]) for r in rows[k + 1 :]]
    count, broken = audit.verify([*rows[:k], *later])
    assert broken is not None and (broken.seq, broken.what) == (k + 1, "deleted")
    assert count == k


def test_a_duplicated_number_is_an_insertion() -> None:
    rows = chain(3)
    _, broken = audit.verify([rows[0], rows[1], rows[1], rows[2]])
    assert broken is not None and (broken.seq, broken.what) == (2, "inserted")


def test_cut_records_at_the_end_are_found_by_a_receipt() -> None:
    rows = chain(6)
    receipt = audit.Receipt(6, rows[5][6])
    assert audit.verify(rows, receipt) == (6, None)
    count, broken = audit.verify(rows[:4], receipt)
    assert count == 4 and broken is not None and broken.what == "truncated"
    # a chain remade from record 3 on: whole in itself, but not the one receipted
    remade = chain(6)
    body = audit.canonical({"forged": True})
    prev = remade[1][6]
    fresh: list[Row] = remade[:2]
    for seq in range(3, 7):
        sha = audit.record_sha256(prev, seq, 1.0, "k", "a", body)
        fresh.append((seq, 1.0, "k", "a", body, prev, sha))
        prev = sha
    assert audit.verify(fresh) == (6, None)
    _, broken = audit.verify(fresh, receipt)
    assert broken is not None and (broken.seq, broken.what) == (6, "modified")


# -- in a line's database ------------------------------------------------------------


@pytest.fixture
def line(store_url: str) -> Iterator[Line]:
    with Line.open(store_url) as made:
        yield made


def _records(line: Line) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = line.store.read(
        lambda tx: tx.rows("SELECT seq, kind, actor, body FROM audit ORDER BY seq")
    )
    return rows


def test_every_change_is_audited_with_its_actor(line: Line) -> None:
    line.add_party(OPERATOR, "blue", "Blue")
    line.add_party(OPERATOR, "red", "Red")
    info, _ = line.create_key(OPERATOR, "officer", "blue")
    made = line.make_agreement(OPERATOR, "blue", "red", {})
    line.change_agreement(OPERATOR, made.agreement_id, 1, "suspended")
    line.revoke_key(OPERATOR, info.key_id)
    records = _records(line)
    assert [r[1] for r in records] == [
        "party.added", "party.added", "key.created", "agreement.made", "agreement.changed",
        "key.revoked",
    ]  # fmt: skip
    assert {r[2] for r in records} == {"admin:-:local"}
    assert all("secret" not in json.loads(r[3]) for r in records)  # no key secret, no hash
    assert line.verify_audit(OPERATOR) == (6, None)


def test_a_refused_change_leaves_no_record(line: Line) -> None:
    line.add_party(OPERATOR, "blue", "Blue")
    with pytest.raises(RefusedError):
        line.add_party(OPERATOR, "blue", "Blue again")
    assert [r[1] for r in _records(line)] == ["party.added"]


def test_tampering_in_the_database_is_found(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    with Line.open(f"sqlite:///{db}") as line:
        for name in ("a", "b", "c", "d"):
            line.add_party(OPERATOR, name, name.upper())
        assert line.verify_audit(OPERATOR) == (4, None)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit SET body = replace(body, 'C', 'Z') WHERE seq = 3")
    with Line.open(f"sqlite:///{db}") as line:
        count, broken = line.verify_audit(OPERATOR)
    assert count == 2 and broken is not None and (broken.seq, broken.what) == (3, "modified")
