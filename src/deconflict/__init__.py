"""deconflict: a deconfliction line for aircraft of parties that share an airspace.

The Python API of the detection core::

    import deconflict
    states = deconflict.read_states("states.csv").states
    conflicts = deconflict.detect(states, deconflict.Criteria(hsep_nm=5, vsep_ft=1000))
"""

from deconflict.readers import ReadResult, read_states
from deconflict.states import StateVectors
from deconflict.tactical.engine import Conflicts, Criteria, detect

__all__ = ["Conflicts", "Criteria", "ReadResult", "StateVectors", "detect", "read_states"]
