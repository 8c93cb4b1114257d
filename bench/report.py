"""Writing a benchmark's table into docs/benchmarks.md, between its own markers."""

from __future__ import annotations

from pathlib import Path


def update(out: Path, name: str, text: str, preamble: str = "") -> None:
    """Replace the block ``<!-- name:begin -->`` ... ``<!-- name:end -->`` in ``out`` with
    ``text``; when there is none yet, append ``preamble`` and the block."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text}\n{end}"
    current = out.read_text() if out.exists() else ""
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current += ("\n" if current else "") + preamble + block + "\n"
    out.write_text(current)
