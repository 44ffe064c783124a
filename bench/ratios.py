"""The one machine-readable line every benchmark prints per ratio, for ``bench/all.py``.

A bench prints its human tables as before and, last, one line per ratio it measured::

    RATIO name=show_get:sqlite value=1234.5 floor=1500.2 ratio=0.823 unit=req/s target=>=0.80 \
        what=GET /{user}/{show}/   (one line; folded here)

``value`` is mixcast's figure, ``floor`` the floor's (same unit), ``ratio`` the bench's own ratio
(not always value/floor: a median of rounds' ratios, or a time ratio where lower is better),
``target`` the goal as ``>=x``, ``<=x`` or ``none``; ``what`` runs to the end of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(
    r"^RATIO name=(?P<name>\S+) value=(?P<value>\S+) floor=(?P<floor>\S+) ratio=(?P<ratio>\S+)"
    r" unit=(?P<unit>\S+) target=(?P<target>\S+) what=(?P<what>.*)$",
    re.M,
)


@dataclass(frozen=True)
class Ratio:
    name: str  # bench[:case]
    value: float
    floor: float
    ratio: float
    unit: str
    target: str  # ">=0.80", "<=1.2" or "none"
    what: str

    def meets_target(self) -> bool | None:
        """Whether the ratio meets its target; None when there is none."""
        if self.target.startswith(">="):
            return self.ratio >= float(self.target[2:])
        if self.target.startswith("<="):
            return self.ratio <= float(self.target[2:])
        return None


def ratio_line(
    name: str, what: str, value: float, floor: float, ratio: float, unit: str, target: str
) -> str:
    """The line for one ratio; ``target`` as ``>=0.80``, ``<=1.2`` or ``none``."""
    if " " in name or " " in unit or " " in target:
        raise ValueError("name, unit and target are single words")
    return (
        f"RATIO name={name} value={value:.6g} floor={floor:.6g} ratio={ratio:.4f} "
        f"unit={unit} target={target} what={what}"
    )


def parse_ratios(text: str) -> list[Ratio]:
    """Every RATIO line of a bench's output, in order."""
    return [
        Ratio(
            name=m["name"],
            value=float(m["value"]),
            floor=float(m["floor"]),
            ratio=float(m["ratio"]),
            unit=m["unit"],
            target=m["target"],
            what=m["what"].strip(),
        )
        for m in _LINE.finditer(text)
    ]
