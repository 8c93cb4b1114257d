"""Running the `deconflict` command line in the test's process, as a user would."""

from __future__ import annotations

import pytest

from deconflict import cli


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of `deconflict ARGS`."""
    monkeypatch.setattr("sys.argv", ["deconflict", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
