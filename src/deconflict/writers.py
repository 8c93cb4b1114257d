"""CSV writers: state vectors in the canonical schema, and the conflicts table.

Units are converted back to the field's (ft, kt, ft/min, NM) here, at the edge.
"""

from __future__ import annotations

import csv
import math
from typing import TextIO

import numpy as np

from deconflict.alerting.engine import Alerts
from deconflict.states import StateVectors
from deconflict.tactical.engine import Conflicts
from deconflict.units import m_to_ft, m_to_nm, mps_to_fpm, mps_to_kt

CONFLICT_COLUMNS = (
    "timestamp",
    "id1",
    "id2",
    "party1",
    "party2",
    "t_in_s",
    "t_out_s",
    "tcpa_s",
    "dcpa_nm",
    "dz_cpa_ft",
    "los_now",
)
ALERT_COLUMNS = (
    "time",
    "ownship",
    "intruder",
    "alerter",
    "alert_level",
    "ttv_preventive_s",
    "ttv_corrective_s",
    "ttv_warning_s",
    "hsep_nm",
    "vsep_ft",
    "tcpa_s",
    "dcpa_nm",
    "tcoa_s",
    "taumod_s",
)
STATE_COLUMNS = (
    "timestamp",
    "id",
    "party",
    "latitude",
    "longitude",
    "altitude",
    "groundspeed",
    "track",
    "vertical_rate",
)


def _timestamp(t: float) -> str:
    """UNIX seconds: whole seconds without decimals, else milliseconds."""
    return str(int(t)) if float(t).is_integer() else f"{t:.3f}"


def _fixed(x: float, digits: int) -> str:
    if math.isnan(x):
        return "nan"
    return "inf" if math.isinf(x) else f"{x:.{digits}f}"


def write_conflicts(conflicts: Conflicts, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONFLICT_COLUMNS)
    dcpa_nm = m_to_nm(conflicts.dcpa_m)
    dz_ft = m_to_ft(conflicts.dz_cpa_m)
    for k in range(len(conflicts)):
        writer.writerow(
            (
                _timestamp(conflicts.timestamp_s[k]),
                conflicts.id1[k],
                conflicts.id2[k],
                conflicts.party1[k],
                conflicts.party2[k],
                _fixed(conflicts.t_in_s[k], 3),
                _fixed(conflicts.t_out_s[k], 3),
                _fixed(conflicts.tcpa_s[k], 3),
                _fixed(dcpa_nm[k], 4),
                _fixed(dz_ft[k], 1),
                "true" if conflicts.los_now[k] else "false",
            )
        )


def write_states(states: StateVectors, out: TextIO) -> None:
    """The canonical schema, readable by ``deconflict detect``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATE_COLUMNS)
    columns = (
        [_timestamp(t) for t in states.time_s],
        states.id,
        states.party,
        np.char.mod("%.6f", states.latitude_deg),
        np.char.mod("%.6f", states.longitude_deg),
        np.char.mod("%.0f", m_to_ft(states.altitude_m)),
        np.char.mod("%.1f", mps_to_kt(states.groundspeed_mps)),
        np.char.mod("%.2f", states.track_deg),
        np.char.mod("%.0f", mps_to_fpm(states.vertical_rate_mps)),
    )
    writer.writerows(zip(*columns, strict=True))


def write_alerts(alerts: Alerts, out: TextIO) -> None:
    """One row per time step and intruder; ``inf`` where a level's volume is not violated
    within the lookahead (or there is no closing / converging), ``nan`` for a tcpa without
    relative motion."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ALERT_COLUMNS)
    hsep_nm, dcpa_nm = m_to_nm(alerts.hsep_m), m_to_nm(alerts.dcpa_m)
    vsep_ft = m_to_ft(alerts.vsep_m)
    for k in range(len(alerts)):
        ttv = alerts.time_to_violation_s[k]
        writer.writerow(
            (
                _fixed(alerts.time_s[k], 3).rstrip("0").rstrip("."),
                alerts.ownship[k],
                alerts.intruder[k],
                int(alerts.alerter[k]),
                int(alerts.alert_level[k]),
                _fixed(ttv[0], 3),
                _fixed(ttv[1], 3),
                _fixed(ttv[2], 3),
                _fixed(hsep_nm[k], 4),
                _fixed(vsep_ft[k], 1),
                _fixed(alerts.tcpa_s[k], 3),
                _fixed(dcpa_nm[k], 4),
                _fixed(alerts.tcoa_s[k], 3),
                _fixed(alerts.taumod_s[k], 3),
            )
        )
