"""Options that several commands share: what counts as a loss of separation and which
aircraft and pairs are considered (``detect`` and ``analyze``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_SEPARATION = [
    click.option("--hsep-nm", default=5.0, show_default=True, help="Horizontal minimum, NM."),
    click.option("--vsep-ft", default=1000.0, show_default=True, help="Vertical minimum, ft."),
    click.option(
        "--cross-party-only", is_flag=True, help="Only pairs of different parties (needs 'party')."
    ),
    click.option("--exclude-ground", is_flag=True, help="Drop aircraft reported on the ground."),
    click.option("--min-altitude-ft", type=float, help="Drop aircraft below this altitude."),
    click.option(
        "--vsep-tolerance-ft",
        default=0.0,
        show_default=True,
        help="Altitude quantisation allowance: vertical LoS needs |dz| < vsep - tolerance "
        "(ADS-B reports in 25 ft steps; 50 keeps adjacent flight levels apart).",
    ),
    click.option(
        "--areas",
        type=click.Path(dir_okay=False, path_type=Path),
        help="GeoJSON polygons with their own minima (properties hsep_nm, vsep_ft, "
        "lower_ft, upper_ft), e.g. 3 NM in a terminal area.",
    ),
]

#: the parameters ``separation_options`` adds, in order
SEPARATION_PARAMETERS = (
    "hsep_nm", "vsep_ft", "cross_party_only", "exclude_ground", "min_altitude_ft",
    "vsep_tolerance_ft", "areas",
)  # fmt: skip


def separation_options(command: F) -> F:
    """Add the minima and the filters of the detection core to a command."""
    for option in reversed(_SEPARATION):
        command = option(command)
    return command


def criteria_arguments(options: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``Criteria`` that the options given mean (``--areas`` read);
    the separation parameters are taken out of ``options``."""
    from deconflict.tactical.areas import read_areas

    given = {name: options.pop(name) for name in SEPARATION_PARAMETERS}
    areas = given.pop("areas")
    given["exclude_onground"] = given.pop("exclude_ground")
    given["areas"] = read_areas(areas) if areas is not None else ()
    return given
