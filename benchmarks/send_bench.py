"""Benchmark: messages per second of ``sessim send`` (durable SQLite outbox on) next to
Postfix's smtp-source, both into one Postfix smtp-sink on loopback in the same run;
plus DKIM signatures per second.

    python benchmarks/send_bench.py [--messages 5000] [--connections 4]

Needs smtp-sink and smtp-source (Debian package postfix); skips with a message when
they are absent. Not a test: prints the figures and the ratio (target >= 0.5).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIO = """\
# Question: how fast does sessim send hand mail to a local sink (benchmark)?
name: send-bench
sender:
  streams: [{{name: warmup, kind: marketing, configuration_set: warmup-dedicated,
             daily_volume: 1000}}]
account: {{daily_quota: 100000000, max_send_rate_per_s: 1000000}}
options: [{{name: shared, pool: {{type: shared}}}}]
sending:
  relay: {{host: 127.0.0.1, port: {port}, tls: none, connections: {connections}, timeout_s: 30}}
  envelope_from: bounces@bench.example.com
  from_header: "Bench <news@bench.example.com>"
  daily_quota: 100000000
  max_send_rate_per_s: 1000000
"""

MESSAGE = """\
Subject: Benchmark for {{first_name}}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello {{first_name}},
""" + "This line fills the body to a typical size for a short notification.\n" * 12


def tool(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name,)
                                       if p.exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("smtp-sink did not start")


def bench_source(source: str, port: int, n: int, connections: int) -> float:
    started = time.perf_counter()
    subprocess.run([source, "-s", str(connections), "-m", str(n), "-l", "1000",
                    "-f", "bounces@bench.example.com", "-t", "rcpt@bench.example.com",
                    f"127.0.0.1:{port}"], check=True, capture_output=True)
    return n / (time.perf_counter() - started)


def bench_sessim(port: int, n: int, connections: int, folder: Path) -> float:
    from sessim.send import runner

    (folder / "scenario.yaml").write_text(SCENARIO.format(port=port, connections=connections))
    (folder / "message.eml").write_text(MESSAGE)
    (folder / "recipients.csv").write_text(
        "email,first_name\n" + "".join(f"r{i}@bench{i % 50}.example.com,N{i}\n"
                                       for i in range(n)))
    inputs = runner.load_inputs(folder / "scenario.yaml", folder / "recipients.csv",
                                folder / "message.eml")
    started = time.perf_counter()
    progress, states = runner.send(inputs, folder / "state", folder / "events.jsonl")
    elapsed = time.perf_counter() - started
    if states.get("delivered") != n:
        raise RuntimeError(f"sessim send did not deliver everything: {states}")
    return n / elapsed


def bench_dkim(folder: Path, n: int = 2000) -> dict[str, float]:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from sessim.send.config import Dkim
    from sessim.send.dkim import Signer

    rsa_path, ed_path = folder / "rsa.pem", folder / "ed.key"
    rsa_path.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048)
                         .private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()))
    ed_path.write_bytes(base64.b64encode(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())))
    message = (b"From: Bench <news@bench.example.com>\r\nTo: r@bench.example.com\r\n"
               b"Subject: hi\r\nMessage-ID: <1@bench.example.com>\r\n\r\n"
               + MESSAGE.encode().replace(b"\n", b"\r\n"))
    rates = {}
    for name, path, algorithm in (("rsa-2048", rsa_path, "rsa-sha256"),
                                  ("ed25519", ed_path, "ed25519-sha256")):
        signer = Signer(Dkim(selector="s1", domain="bench.example.com", key_file=str(path),
                             algorithm=algorithm))
        started = time.perf_counter()
        for _ in range(n):
            signer.sign(message)
        rates[name] = n / (time.perf_counter() - started)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    sink, source = tool("smtp-sink"), tool("smtp-source")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, rate in bench_dkim(folder).items():
            print(f"DKIM {name}: {rate:,.0f} signatures/s")
        if not sink or not source:
            print("skipped SMTP benchmark: smtp-sink / smtp-source not installed"
                  " (apt-get install postfix)")
            return 0
        port = free_port()
        as_root = ["-u", "nobody"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        proc = subprocess.Popen([sink, *as_root, f"127.0.0.1:{port}", "1000"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            src = bench_source(source, port, args.messages, args.connections)
            ours = bench_sessim(port, args.messages, args.connections, folder)
        finally:
            proc.terminate()
            proc.wait()
    print(f"smtp-source : {src:,.0f} messages/s ({args.connections} connections)")
    print(f"sessim send : {ours:,.0f} messages/s ({args.connections} connections,"
          " durable SQLite outbox, SES events)")
    print(f"ratio       : {ours / src:.2f} (target >= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
