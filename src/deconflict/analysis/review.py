"""The tables of an incident review, as pandas DataFrames (``docs/analysis.md``).

Times are UTC seconds since the epoch; every table's pairs have ``id1 < id2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

PAIR = ["id1", "id2", "party1", "party2", "callsign1", "callsign2"]
WHERE = ["latitude_deg", "longitude_deg", "altitude_ft"]

#: one row per loss of separation (a maximal time interval in loss)
LOSSES = [
    *PAIR, "start_s", "end_s", "duration_s", "min_hsep_nm", "min_vsep_ft", "time_min_s",
    *WHERE, "hsep_applied_nm", "vsep_applied_ft",
]  # fmt: skip

#: one row per predicted conflict (a maximal run of grid steps alerting at level >= 1)
CONFLICTS = [
    *PAIR, "start_s", "end_s", "max_level", "preventive_s", "corrective_s", "warning_s",
    "los_start_s", "lead_preventive_s", "lead_corrective_s", "lead_warning_s", *WHERE,
]  # fmt: skip

#: one row per close encounter (a maximal time interval closer than the reporting distance)
CLOSEST = [*PAIR, "time_s", "hsep_nm", "vsep_ft", *WHERE, "start_s", "end_s", "loss"]

#: one row per aircraft
AIRCRAFT = [
    "id", "party", "callsign", "first_s", "last_s", "states", "losses", "conflicts",
    "closest", "min_hsep_nm",
]  # fmt: skip

#: the separation over time of the closest pairs, for the report's profiles
PROFILES = ["id1", "id2", "rank", "time_s", "hsep_nm", "vsep_ft", "altitude1_ft", "altitude2_ft"]


@dataclass
class Review:
    """What ``analyze`` found. ``meta`` says over what and how: inputs, criteria, counts,
    time range, run time."""

    losses: pd.DataFrame
    conflicts: pd.DataFrame
    closest: pd.DataFrame
    aircraft: pd.DataFrame
    profiles: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    TABLES = ("losses", "conflicts", "closest", "aircraft", "profiles")
