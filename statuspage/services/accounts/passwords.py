"""Password screening against zxcvbn's list of 30,000 common passwords and its guess estimate."""

from __future__ import annotations

from functools import cache


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import (
        FREQUENCY_LISTS,  # 14 MB: loaded by the first password set, not by every worker
    )

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """True for a listed password, or one zxcvbn guesses within about a million tries."""
    if password.lower() in _common():
        return True
    from zxcvbn import zxcvbn

    return zxcvbn(password[:100])["score"] < 2
