"""DKIM signing with dkimpy: RSA (1024 to 2048 bits) or ed25519 keys.

An RSA key file is PEM (PKCS#1 or PKCS#8); an ed25519 key file holds the
base64 32-byte private seed (dkimpy's format, RFC 8463).
"""

from __future__ import annotations

from pathlib import Path

import dkim
import dkim.crypto

from sessim.errors import InputError
from sessim.send.config import Dkim

SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
                  b"content-type", b"content-transfer-encoding", b"list-unsubscribe",
                  b"list-unsubscribe-post")


class Signer:
    """Signs rendered messages with one key."""

    def __init__(self, config: Dkim) -> None:
        try:
            self.key = Path(config.key_file).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the DKIM key file {config.key_file}:"
                             f" {exc.strerror}") from exc
        self.selector = config.selector.encode()
        self.domain = config.domain.encode()
        self.algorithm = config.algorithm.encode()
        if config.algorithm == "rsa-sha256":
            bits = _rsa_bits(self.key)
            if not 1024 <= bits <= 2048:
                raise InputError(f"DKIM key {config.key_file}: RSA keys of 1024 to 2048"
                                 f" bits are supported, this one has {bits}")
        self.sign(b"From: a@example.com\r\nSubject: probe\r\n\r\nprobe\r\n")  # fail early

    def sign(self, message: bytes) -> bytes:
        """The message with a DKIM-Signature header in front."""
        try:
            header = dkim.sign(message, self.selector, self.domain, self.key,
                               include_headers=list(SIGNED_HEADERS),
                               signature_algorithm=self.algorithm)
        except dkim.DKIMException as exc:
            raise InputError(f"DKIM signing failed: {exc}") from exc
        return header + message


def _rsa_bits(pem: bytes) -> int:
    try:
        key = dkim.crypto.parse_pem_private_key(pem)
    except (dkim.crypto.UnparsableKeyError, ValueError) as exc:
        raise InputError(f"the DKIM key is not an unencrypted RSA PEM private key: {exc}"
                         ) from exc
    return int(key["modulus"]).bit_length()
