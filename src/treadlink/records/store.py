"""The history database: SQLite in the user's data directory, schema versioned by migrations.

`PRAGMA user_version` holds how many entries of MIGRATIONS have been applied; opening a store
applies the missing ones in one transaction. A database from a newer treadlink is refused rather
than guessed at. WAL mode lets the session's writer thread and the CLI read and write at once.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from treadlink.records.closing import Closes
from treadlink.records.model import (
    PAIN_MOMENTS,
    FaultRecord,
    Lap,
    PainMoment,
    PauseRecord,
    RecordItem,
    Sample,
    SessionEnd,
    SessionRecord,
    SessionStart,
)

DATA_DIR_ENV = "TREADLINK_DATA_DIR"
DATABASE = "history.sqlite3"

# One entry per schema version; append, never edit a released one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        plan_file TEXT, plan_name TEXT, stage INTEGER,
        stage_name TEXT NOT NULL, stage_file TEXT NOT NULL,
        simulated INTEGER NOT NULL, speedup REAL NOT NULL,
        planned_s REAL NOT NULL, started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT CHECK (outcome IN ('completed', 'stopped', 'fault')), reason TEXT,
        treadmill TEXT, done_s REAL, paused_s REAL,
        walk_s REAL, walk_m REAL, run_s REAL, run_m REAL, distance_m REAL,
        segments_done INTEGER, segments_skipped INTEGER
    );
    CREATE TABLE laps (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL, segment INTEGER NOT NULL, name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('walk', 'run')),
        target_speed_kmh REAL NOT NULL, target_incline_pct REAL NOT NULL,
        planned_s REAL, planned_m REAL, start_s REAL NOT NULL, end_s REAL NOT NULL,
        time_s REAL NOT NULL, distance_m REAL NOT NULL, skipped INTEGER NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    CREATE TABLE faults (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        at_s REAL NOT NULL, fault TEXT NOT NULL, message TEXT NOT NULL, latched INTEGER NOT NULL
    );
    CREATE TABLE telemetry (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        t_s REAL NOT NULL, speed_kmh REAL, incline_pct REAL, distance_m REAL,
        heart_rate_bpm INTEGER,
        PRIMARY KEY (session_id, t_s)
    ) WITHOUT ROWID;
    CREATE TABLE pain (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        moment TEXT NOT NULL CHECK (moment IN ('before', 'after', 'next_morning')),
        score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (session_id, moment)
    );
    """,
    # 2: pain felt during a session (the runner's key, `--pain-during`, `pain --moment during`).
    # SQLite cannot change a CHECK constraint in place: the table is made again.
    """
    CREATE TABLE pain_new (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        moment TEXT NOT NULL CHECK (moment IN ('before', 'during', 'after', 'next_morning')),
        score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (session_id, moment)
    );
    INSERT INTO pain_new SELECT session_id, moment, score, recorded_at FROM pain;
    DROP TABLE pain;
    ALTER TABLE pain_new RENAME TO pain;
    """,
    # 3: the times the plan stood still (treadlink.session.account), for the exports.
    """
    CREATE TABLE pauses (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        start_s REAL NOT NULL, end_s REAL NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('pause', 'stop', 'fault', 'console')),
        reason TEXT NOT NULL
    );
    """,
)


class StoreError(Exception):
    """The history cannot be used (unreadable, or written by a newer treadlink)."""


class NoSuchSession(LookupError):
    pass


def data_dir() -> Path:
    """`$TREADLINK_DATA_DIR`, or the platform's per-user data directory for treadlink."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("treadlink", appauthor=False)


def database_path() -> Path:
    return data_dir() / DATABASE


class Store(Closes):
    """with Store.open() as store: store.sessions()  — one connection, one thread."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        path = database_path() if path is None else path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot open the history at {path}: {e}") from e
        store = cls(connection, path)
        try:
            store._prepare()
        except sqlite3.Error as e:
            connection.close()
            raise StoreError(f"cannot use the history at {path}: {e}") from e
        except StoreError:
            connection.close()
            raise
        return store

    def _prepare(self) -> None:
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the history at {self.path} has schema version {version}, newer than this "
                f"treadlink knows ({len(MIGRATIONS)}): upgrade treadlink"
            )
        if version == len(MIGRATIONS):
            return
        with self._transaction():
            for script in MIGRATIONS[version:]:
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            # PRAGMA takes no parameters; the value is our own integer.
            self._db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- writing ---------------------------------------------------------------------------
    def begin(self, start: SessionStart) -> int:
        """A new session row (no outcome yet); returns its id."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO sessions (plan_file, plan_name, stage, stage_name, stage_file,"
                " simulated, speedup, planned_s, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    start.plan_file,
                    start.plan_name,
                    start.stage,
                    start.stage_name,
                    start.stage_file,
                    int(start.simulated),
                    start.speedup,
                    start.planned_s,
                    _iso(start.started_at),
                ),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def write(self, session_id: int, items: Iterable[RecordItem]) -> None:
        """Laps, faults, samples and the end of one session, in one transaction."""
        with self._transaction():
            for item in items:
                self._write_one(session_id, item)

    def _write_one(self, sid: int, item: RecordItem) -> None:
        match item:
            case Sample():
                self._db.execute(
                    "INSERT OR REPLACE INTO telemetry VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        sid,
                        item.t_s,
                        item.speed_kmh,
                        item.incline_pct,
                        item.distance_m,
                        item.heart_rate_bpm,
                    ),
                )
            case Lap():
                seq = self._db.execute(
                    "SELECT COUNT(*) FROM laps WHERE session_id = ?", (sid,)
                ).fetchone()[0]
                self._db.execute(
                    "INSERT INTO laps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        sid,
                        seq,
                        item.index,
                        item.name,
                        item.kind,
                        item.target_speed_kmh,
                        item.target_incline_pct,
                        item.planned_s,
                        item.planned_m,
                        item.start_s,
                        item.end_s,
                        item.time_s,
                        item.distance_m,
                        int(item.skipped),
                    ),
                )
            case FaultRecord():
                self._db.execute(
                    "INSERT INTO faults VALUES (?, ?, ?, ?, ?)",
                    (sid, item.at_s, item.fault, item.message, int(item.latched)),
                )
            case PauseRecord():
                self._db.execute(
                    "INSERT INTO pauses VALUES (?, ?, ?, ?, ?)",
                    (sid, item.start_s, item.end_s, item.kind, item.reason),
                )
            case SessionEnd():
                self._db.execute(
                    "UPDATE sessions SET ended_at = ?, outcome = ?, reason = ?, treadmill = ?,"
                    " done_s = ?, paused_s = ?, walk_s = ?, walk_m = ?, run_s = ?, run_m = ?,"
                    " distance_m = ?, segments_done = ?, segments_skipped = ? WHERE id = ?",
                    (
                        _iso(item.ended_at),
                        item.outcome,
                        item.reason,
                        item.treadmill,
                        item.done_s,
                        item.paused_s,
                        item.walk_s,
                        item.walk_m,
                        item.run_s,
                        item.run_m,
                        item.distance_m,
                        item.segments_done,
                        item.segments_skipped,
                        sid,
                    ),
                )

    def delete(self, session_id: int) -> None:
        """Forget a session (one that never began: no treadmill found, say)."""
        with self._transaction():
            self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def set_pain(self, session_id: int, moment: PainMoment, score: int, at: datetime) -> None:
        if not 0 <= score <= 10:
            raise ValueError(f"pain is a score from 0 to 10, got {score}")
        self.session(session_id, details=False)  # NoSuchSession if it is not there
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO pain VALUES (?, ?, ?, ?)",
                (session_id, moment, score, _iso(at)),
            )

    # --- reading ---------------------------------------------------------------------------
    def sessions(self, *, simulated: bool | None = None) -> list[SessionRecord]:
        """Every session, oldest first, without laps, faults or samples."""
        query = "SELECT * FROM sessions"
        args: tuple[Any, ...] = ()
        if simulated is not None:
            query += " WHERE simulated = ?"
            args = (int(simulated),)
        rows = self._db.execute(query + " ORDER BY started_at, id", args).fetchall()
        pain = self._pain()
        return [_session(row, pain.get(row[0], {})) for row in rows]

    def last(self, *, simulated: bool | None = None) -> SessionRecord:
        found = self.sessions(simulated=simulated)
        if not found:
            raise NoSuchSession("no sessions recorded yet")
        return found[-1]

    def session(self, session_id: int, *, details: bool = True) -> SessionRecord:
        row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NoSuchSession(f"no session {session_id}")
        record = _session(row, self._pain(session_id).get(session_id, {}))
        if not details:
            return record
        laps = self._db.execute(
            "SELECT segment, name, kind, target_speed_kmh, target_incline_pct, planned_s,"
            " planned_m, start_s, end_s, time_s, distance_m, skipped FROM laps"
            " WHERE session_id = ? ORDER BY seq",
            (session_id,),
        )
        faults = self._db.execute(
            "SELECT at_s, fault, message, latched FROM faults WHERE session_id = ? ORDER BY at_s",
            (session_id,),
        )
        samples = self._db.execute(
            "SELECT t_s, speed_kmh, incline_pct, distance_m, heart_rate_bpm FROM telemetry"
            " WHERE session_id = ? ORDER BY t_s",
            (session_id,),
        )
        pauses = self._db.execute(
            "SELECT start_s, end_s, kind, reason FROM pauses WHERE session_id = ? ORDER BY start_s",
            (session_id,),
        )
        return SessionRecord(
            record.id,
            record.start,
            record.end,
            record.pain,
            tuple(_lap(row) for row in laps),
            tuple(FaultRecord(r[0], r[1], r[2], bool(r[3])) for r in faults),
            tuple(Sample(*row) for row in samples),
            tuple(PauseRecord(*row) for row in pauses),
        )

    def _pain(self, session_id: int | None = None) -> dict[int, dict[PainMoment, int]]:
        query, args = "SELECT session_id, moment, score FROM pain", cast(tuple[int, ...], ())
        if session_id is not None:
            query, args = query + " WHERE session_id = ?", (session_id,)
        found: dict[int, dict[str, int]] = {}
        for sid, moment, score in self._db.execute(query, args):
            found.setdefault(sid, {})[moment] = score
        # In the order they are felt (before, during, after, the next morning), whatever order
        # they were recorded in.
        return {
            sid: {m: scores[m] for m in PAIN_MOMENTS if m in scores}
            for sid, scores in found.items()
        }


def _lap(row: tuple[Any, ...]) -> Lap:
    (
        index,
        name,
        kind,
        speed,
        incline,
        planned_s,
        planned_m,
        start_s,
        end_s,
        time_s,
        metres,
        skipped,
    ) = row
    return Lap(
        index, name, kind, speed, incline, planned_s, planned_m, start_s, end_s, time_s, metres,
        bool(skipped),
    )  # fmt: skip


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("times are stored as aware UTC datetimes")
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _session(row: tuple[Any, ...], pain: dict[PainMoment, int]) -> SessionRecord:
    (sid, plan_file, plan_name, stage, stage_name, stage_file, simulated, speedup, planned_s,
     started_at, ended_at, outcome, reason, treadmill, done_s, paused_s, walk_s, walk_m, run_s,
     run_m, distance_m, segments_done, segments_skipped) = row  # fmt: skip
    start = SessionStart(
        stage_name=stage_name,
        stage_file=stage_file,
        planned_s=planned_s,
        started_at=_time(started_at),
        plan_file=plan_file,
        plan_name=plan_name,
        stage=stage,
        simulated=bool(simulated),
        speedup=speedup,
    )
    end = None
    if outcome is not None:
        end = SessionEnd(
            ended_at=_time(ended_at),
            outcome=outcome,
            reason=reason,
            treadmill=treadmill,
            done_s=done_s,
            paused_s=paused_s,
            walk_s=walk_s,
            walk_m=walk_m,
            run_s=run_s,
            run_m=run_m,
            distance_m=distance_m,
            segments_done=segments_done,
            segments_skipped=segments_skipped,
        )
    return SessionRecord(sid, start, end, pain)
