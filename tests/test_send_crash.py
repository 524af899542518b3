"""kill -9 in the middle of ``sessim send``, then the same command again: every
recipient ends in the events exactly once (delivered, bounced or suppressed), only
messages in flight at the kill may reach the server twice, and a finished job run
again sends nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from send_sink import Handler, Sink, final_events, read_events, write_job

CONNECTIONS = 4
CMD = "from sessim.cli import main; main()"


def sessim_send(files, tmp_path) -> list[str]:
    scenario, recipients, message = files
    return [sys.executable, "-c", CMD, "send", str(scenario), "--recipients", str(recipients),
            "--message", str(message), "--state", str(tmp_path / "state"),
            "--events", str(tmp_path / "events.jsonl"), "--quiet"]


def test_kill_9_and_rerun_is_exactly_once(tmp_path):
    handler = Handler(data_delay_s=0.01)
    sink = Sink(handler)
    sink.start()
    try:
        emails = [f"u{i}@k.example.com" for i in range(300)]
        emails += [f"550-b{i}@k.example.com" for i in range(10)]
        emails += [f"451x1-d{i}@k.example.com" for i in range(10)]
        relay = f"{{host: 127.0.0.1, port: {sink.port}, tls: none, timeout_s: 2," \
                f" connections: {CONNECTIONS}}}"
        files = write_job(tmp_path, sink.port, emails, relay=relay)
        cmd = sessim_send(files, tmp_path)
        events_path = tmp_path / "events.jsonl"
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            if len(handler.received) >= 80:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        killed_at = len(handler.received)
        assert killed_at < len(emails), "the job finished before the kill"

        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        events = read_events(events_path)
        finals = final_events(events)
        assert set(finals) == set(emails)
        assert max(finals.values()) == 1, [e for e, n in finals.items() if n > 1]
        sends = Counter(e["mail"]["destination"][0] for e in events
                        if e["eventType"] == "Send")
        assert set(sends) == set(emails) and max(sends.values()) == 1
        bounced = {e["mail"]["destination"][0] for e in events if e["eventType"] == "Bounce"}
        assert bounced == {e for e in emails if e.startswith("550-")}
        received = Counter(r for r, _, _ in handler.received)
        delivered = set(emails) - bounced
        assert set(received) == delivered
        twice = [r for r, n in received.items() if n > 1]
        assert len(twice) <= CONNECTIONS, f"{len(twice)} sent twice: {twice}"

        # A finished job run again sends nothing and writes nothing.
        before, size = len(handler.received), events_path.stat().st_size
        again = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert len(handler.received) == before
        assert events_path.stat().st_size == size
    finally:
        sink.stop()
