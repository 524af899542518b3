"""DKIM signing with dkimpy, checked by dkimpy's verifier (RSA 1024/2048, ed25519)."""

from __future__ import annotations

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from send_sink import Handler, Sink, write_job

from sessim.errors import InputError
from sessim.send import runner
from sessim.send.config import Dkim
from sessim.send.dkim import Signer

MESSAGE = (b"From: Sender <news@sender.example.com>\r\nTo: a@b.example.com\r\n"
           b"Subject: hi\r\nMessage-ID: <1@sender.example.com>\r\n\r\nHello.\r\n")


def rsa_key(tmp_path, bits):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path = tmp_path / f"rsa{bits}.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def ed_key(tmp_path):
    key = ed25519.Ed25519PrivateKey.generate()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    path = tmp_path / "ed.key"
    path.write_bytes(base64.b64encode(seed))
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return path, b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public)


def dns(record):
    def lookup(name, timeout=5):
        assert name == b"s1._domainkey.sender.example.com."
        return record
    return lookup


@pytest.mark.parametrize("kind", ["rsa1024", "rsa2048", "ed25519"])
def test_signature_verifies(tmp_path, kind):
    if kind == "ed25519":
        path, record = ed_key(tmp_path)
        algorithm = "ed25519-sha256"
    else:
        path, record = rsa_key(tmp_path, int(kind[3:]))
        algorithm = "rsa-sha256"
    signer = Signer(Dkim(selector="s1", domain="sender.example.com", key_file=str(path),
                         algorithm=algorithm))
    signed = signer.sign(MESSAGE)
    assert signed.startswith(b"DKIM-Signature:")
    assert dkim.verify(signed, dnsfunc=dns(record))
    assert not dkim.verify(signed.replace(b"Hello.", b"Hell0."), dnsfunc=dns(record))


def test_rsa_key_over_2048_bits_is_refused(tmp_path):
    path, _ = rsa_key(tmp_path, 3072)
    with pytest.raises(InputError, match="1024 to 2048"):
        Signer(Dkim(selector="s1", domain="sender.example.com", key_file=str(path)))


def test_mail_received_by_the_server_verifies(tmp_path):
    """End to end: the message as the server received it carries a valid signature."""
    path, record = rsa_key(tmp_path, 2048)
    sink = Sink(Handler())
    sink.start()
    try:
        extra = (f"  dkim: {{selector: s1, domain: sender.example.com, key_file: '{path}'}}\n")
        files = write_job(tmp_path, sink.port, ["ann@a.example.com"], extra=extra)
        runner.send(runner.load_inputs(*files), tmp_path / "state")
        (_, _, data), = sink.handler.received
        assert dkim.verify(data, dnsfunc=dns(record))
    finally:
        sink.stop()
