"""deconflict: a deconfliction line for aircraft of parties that share an airspace.

The Python API of the detection core::

    import deconflict
    states = deconflict.read_states("states.csv").states
    conflicts = deconflict.detect(states, deconflict.Criteria(hsep_nm=5, vsep_ft=1000))

The names are loaded on first use, so that ``import deconflict`` (and the command line's
``--help``) does not pay for numba, pyarrow and pyproj.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deconflict.readers import ReadResult, read_states
    from deconflict.states import StateVectors
    from deconflict.tactical.engine import Conflicts, Criteria, detect

_WHERE = {
    "ReadResult": "deconflict.readers",
    "read_states": "deconflict.readers",
    "StateVectors": "deconflict.states",
    "Conflicts": "deconflict.tactical.engine",
    "Criteria": "deconflict.tactical.engine",
    "detect": "deconflict.tactical.engine",
}
__all__ = ["Conflicts", "Criteria", "ReadResult", "StateVectors", "detect", "read_states"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'deconflict' has no attribute {name!r}")
