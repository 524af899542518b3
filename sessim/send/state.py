"""Durable state of real sending in SQLite (stdlib sqlite3, WAL journal).

One database per state folder holds, for any number of jobs: the outbox (each
message's state, attempts, next-attempt time, pool), the account suppression
list, the warm-up and quota counters per hour, and the byte position of each
events file that matches the committed state. A job is named by a fingerprint
of its inputs, so the same command run again resumes it, and a finished job
run again finds nothing to send.

Crash rule: events are appended to the events file first, then the state
change and the file's new length are committed in one transaction. After a
crash the file is cut back to the committed length, so every committed outcome
is in the file exactly once and nothing uncommitted is.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sessim.errors import InputError

FINAL = ("delivered", "bounced", "suppressed", "rejected")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, job TEXT NOT NULL, line INTEGER NOT NULL, email TEXT NOT NULL,
    fields TEXT NOT NULL, provider TEXT NOT NULL, message_id TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued', accepted INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, first_at REAL,
    pool TEXT, send_logged INTEGER NOT NULL DEFAULT 0, UNIQUE (job, email));
CREATE INDEX IF NOT EXISTS outbox_job_state ON outbox (job, state);
CREATE TABLE IF NOT EXISTS suppression (
    address TEXT PRIMARY KEY, reason TEXT NOT NULL, added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    kind TEXT NOT NULL, pool TEXT NOT NULL, provider TEXT NOT NULL, hour INTEGER NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (kind, pool, provider, hour));
"""


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    line: int
    email: str
    fields: dict[str, str]
    provider: str
    message_id: str
    state: str
    accepted: bool
    attempts: int
    next_at: float
    first_at: float | None
    pool: str | None
    send_logged: bool = False  # the Send record is in the events file


class State:
    """The state database of one state folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.folder / "state.sqlite3", isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(f"cannot open the state folder {folder}: {exc}") from exc
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a killed process (not a power cut) in WAL mode.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(outbox)")}
        if "send_logged" not in columns:
            # Databases of earlier versions wrote the Send record on acceptance.
            with self.transaction():
                self.db.execute("ALTER TABLE outbox ADD COLUMN send_logged INTEGER NOT NULL"
                                " DEFAULT 0")
                self.db.execute("UPDATE outbox SET send_logged = accepted")

    @classmethod
    def read_only(cls, folder: str | Path) -> State:
        """Open an existing state database without writing to it (dry run)."""
        self = cls.__new__(cls)
        self.folder = Path(folder)
        path = (self.folder / "state.sqlite3").resolve()
        # Without a WAL file everything is in the database file: open it immutable, so
        # that not even the shared-memory index is created; otherwise read-only.
        wal = path.with_name(path.name + "-wal").exists()
        mode = "mode=ro" if wal else "immutable=1"
        try:
            self.db = sqlite3.connect(f"file:{path}?{mode}", uri=True, isolation_level=None)
            self.db.execute("SELECT 1 FROM outbox LIMIT 1")
        except sqlite3.Error as exc:
            raise InputError(f"cannot read the state folder {folder}: {exc}") from exc
        return self

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ jobs
    def job_loaded(self, job: str) -> bool:
        return self.meta(f"loaded:{job}") is not None

    def load_job(self, job: str, rows: Iterable[tuple[int, str, dict[str, str], str, str]],
                 now: float) -> int:
        """Put a job's messages (line, email, fields, provider, message id) in the
        outbox, all in one transaction; returns how many."""
        n = 0
        with self.transaction():
            for line, email, fields, provider, message_id in rows:
                self.db.execute(
                    "INSERT INTO outbox (job, line, email, fields, provider, message_id,"
                    " next_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (job, line, email, json.dumps(fields), provider, message_id, now))
                n += 1
            self.set_meta(f"loaded:{job}", str(n))
        return n

    def pending(self, job: str) -> Iterator[Row]:
        cur = self.db.execute("SELECT * FROM outbox WHERE job = ? AND state = 'queued'"
                              " ORDER BY next_at, id", (job,))
        cur.row_factory = sqlite3.Row
        for r in cur.fetchall():
            yield Row(r["id"], r["line"], r["email"], json.loads(r["fields"]), r["provider"],
                      r["message_id"], r["state"], bool(r["accepted"]), r["attempts"],
                      r["next_at"], r["first_at"], r["pool"],
                      bool(r["send_logged"] if "send_logged" in r.keys() else r["accepted"]))

    def counts(self, job: str) -> dict[str, int]:
        cur = self.db.execute("SELECT state, COUNT(*) FROM outbox WHERE job = ?"
                              " GROUP BY state", (job,))
        return dict(cur.fetchall())

    # ------------------------------------------------------------ updates
    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def accepted(self, row_id: int, when: float) -> None:
        self.db.execute("UPDATE outbox SET accepted = 1, first_at = COALESCE(first_at, ?)"
                        " WHERE id = ?", (when, row_id))

    def send_logged(self, row_id: int) -> None:
        self.db.execute("UPDATE outbox SET send_logged = 1 WHERE id = ?", (row_id,))

    def retry(self, row_id: int, attempts: int, next_at: float, pool: str) -> None:
        self.db.execute("UPDATE outbox SET attempts = ?, next_at = ?, pool = ? WHERE id = ?",
                        (attempts, next_at, pool, row_id))

    def final(self, row_id: int, state: str, when: float) -> None:
        assert state in FINAL, state
        self.db.execute("UPDATE outbox SET state = ?, first_at = COALESCE(first_at, ?)"
                        " WHERE id = ?", (state, when, row_id))

    def suppress(self, address: str, reason: str, when: float) -> None:
        self.db.execute("INSERT OR IGNORE INTO suppression VALUES (?, ?, ?)",
                        (address.lower(), reason, when))

    def suppressed(self) -> list[tuple[str, str]]:
        return self.db.execute("SELECT address, reason FROM suppression").fetchall()

    def count(self, kind: str, pool: str, provider: str, when: float, n: int) -> None:
        self.db.execute(
            "INSERT INTO counters VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, pool, provider,"
            " hour) DO UPDATE SET count = count + excluded.count",
            (kind, pool, provider, int(when // 3600), n))

    def counters(self, kind: str, since: float) -> list[tuple[str, str, int, int]]:
        """(pool, provider, hour, count) rows of ``kind`` from ``since`` on, by hour."""
        return self.db.execute(
            "SELECT pool, provider, hour, count FROM counters WHERE kind = ? AND hour >= ?"
            " ORDER BY hour", (kind, int(since // 3600))).fetchall()

    # ------------------------------------------------------------ meta
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                        " SET value = excluded.value", (key, value))


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> _Transaction:
        self.db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


class EventLog:
    """An append-only JSON-lines file whose committed length is kept in :class:`State`."""

    def __init__(self, path: str | Path, state: State) -> None:
        self.path = Path(path)
        self.state = state
        self.key = f"events_pos:{self.path.resolve()}"
        committed = int(state.meta(self.key) or 0)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(self.path, "ab")
        except OSError as exc:
            raise InputError(f"cannot write the events file {path}: {exc.strerror}") from exc
        size = self.fh.seek(0, os.SEEK_END)
        if size > committed:  # lines written after the last commit: cut them back
            self.fh.truncate(committed)
            self.fh.seek(committed)
        self.pending: list[bytes] = []

    def add(self, record: dict) -> None:
        self.pending.append(json.dumps(record, separators=(",", ":")).encode() + b"\n")

    def write(self) -> None:
        """Append the pending records and note the new length (inside the caller's
        transaction, so both commit together)."""
        if self.pending:
            self.fh.write(b"".join(self.pending))
            self.fh.flush()
            self.pending.clear()
        self.state.set_meta(self.key, str(self.fh.tell()))

    def close(self) -> None:
        self.fh.close()
