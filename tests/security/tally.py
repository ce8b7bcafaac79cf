"""Totals of the bad-input families, printed at the end of the session (``conftest.pytest_terminal_summary``).

Every input a door is given counts once; a 500 or an acknowledged-then-lost delivery is also counted here
(and fails its own test).
"""

TALLY = {"inputs": 0, "500s": 0, "acknowledged_but_lost": 0}
FAILURES: list[str] = []


def count(label: str, *, server_error: bool = False, lost: bool = False) -> None:
    TALLY["inputs"] += 1
    if server_error:
        TALLY["500s"] += 1
        FAILURES.append(f"500: {label}")
    if lost:
        TALLY["acknowledged_but_lost"] += 1
        FAILURES.append(f"lost: {label}")
