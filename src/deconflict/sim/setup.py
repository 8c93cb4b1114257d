"""A line made ready for a scenario: its parties, its agreements, and a feed key and an
officer key for each party (what ``deconflict demo`` does before it starts the feeds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from deconflict.sim.scenario import Scenario

if TYPE_CHECKING:
    from deconflict.line.line import Line


@dataclass(frozen=True)
class PartyKeys:
    feed: str
    officer: str


def setup_line(line: Line, scenario: Scenario) -> dict[str, PartyKeys]:
    """Add the scenario's parties that the line lacks and its agreements between them, and
    make new keys: the tokens of each party's feed and officer keys."""
    from deconflict.line.line import OPERATOR

    have = {p.party_id for p in line.parties(OPERATOR)}
    for p in scenario.parties:
        if p.party_id not in have:
            line.add_party(OPERATOR, p.party_id, p.name)
    for a in scenario.agreements:
        terms = {"sharing": a.sharing, "allow_plan_conflicts": a.allow_plan_conflicts}
        line.make_agreement(OPERATOR, a.parties[0], a.parties[1], terms)
    keys = {}
    for p in scenario.parties:
        _, feed = line.create_key(OPERATOR, "feed", p.party_id, f"{p.party_id} simulated feed")
        _, officer = line.create_key(OPERATOR, "officer", p.party_id, f"{p.party_id} officer")
        keys[p.party_id] = PartyKeys(feed, officer)
    return keys
