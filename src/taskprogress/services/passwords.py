"""Password storage: a salted, slow scrypt hash of what the client sends.

ZStack clients send the lower-case SHA-512 hex of the password, and ZStack stores and compares exactly that,
so a leaked table is a list of usable credentials. Here that SHA-512 is only the input of scrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import os

# scrypt cost (N=2^14, r=8, p=1): the interactive-login parameters recommended for scrypt; ~50 ms here.
_N, _R, _P = 2**14, 8, 1
_SCHEME = "scrypt"


def sha512_hex(plain: str) -> str:
    """What a ZStack SDK user sends as ``password`` for ``plain``."""
    return hashlib.sha512(plain.encode()).hexdigest()


def hash_password(client_password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(client_password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"{_SCHEME}${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(client_password: str, stored: str | None) -> bool:
    """True when ``client_password`` matches ``stored``; with no stored hash, spends the same time and says no
    (so a wrong account name cannot be told from a wrong password by timing)."""
    if stored is None:
        hash_password(client_password)
        return False
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.scrypt(
            client_password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:  # a corrupt stored hash never matches
        return False
    return hmac.compare_digest(digest.hex(), expected)
