"""Named random streams: one numpy Generator per random input, spawned from the seed.

A stream is keyed by names (``stream(seed, "mailboxes", "gmail")``), not by the
order of creation, so adding a provider or an option changes no other draws.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream(seed: int, *names: str) -> np.random.Generator:
    key = tuple(int.from_bytes(hashlib.sha256(n.encode()).digest()[:4], "little")
                for n in names)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
