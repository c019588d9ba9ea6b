//! Call history on disk: every accepted event, and one row per call, in SQLite.
//!
//! Events are the record: the listener answers 200 only once its event is committed (see
//! [`Recorder`]), so an event Ubity was told was received survives a crash or a `kill -9`.
//! The `calls` table is derived from them by the call tracker and may lag behind after a
//! crash; at start the events of the latest calls are replayed through the tracker, which
//! brings both the tray and the table up to date. Every query calltray makes at start or for
//! the menu goes through an index and reads a bounded number of rows, so neither grows with
//! the size of the history.

use crate::config::Retention;
use crate::event::{CallEvent, Direction, EventKind};
use crate::tracker::{Call, CallState, Outcome, Time};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, sync_channel};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Migrations, in order; `PRAGMA user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: events as received, calls as the tracker sees them.
    "CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        callid TEXT NOT NULL,
        direction TEXT NOT NULL,
        caller TEXT NOT NULL,
        callee TEXT NOT NULL,
        duration INTEGER,
        extra TEXT NOT NULL
    );
    CREATE INDEX events_by_call ON events (callid, direction, id);
    CREATE INDEX events_by_time ON events (received_at);
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        callid TEXT NOT NULL,
        direction TEXT NOT NULL,
        extension TEXT NOT NULL,
        party TEXT NOT NULL,
        state TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        answered_at INTEGER,
        ended_at INTEGER,
        duration INTEGER,
        updated_at INTEGER NOT NULL,
        UNIQUE (callid, direction)
    );
    CREATE INDEX calls_by_start ON calls (first_seen);
    CREATE INDEX calls_by_update ON calls (updated_at);
    CREATE INDEX calls_live ON calls (first_seen) WHERE ended_at IS NULL;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    // 2: the caller's name as known when the call came (contacts, Ubity's extensions).
    "ALTER TABLE calls ADD COLUMN name TEXT;",
    // 3: the unseen missed calls are counted at every start from this index alone; through
    // calls_by_update the count read the row of every call of the last week (a busy week put
    // start-up 19% above an empty history's).
    "CREATE INDEX calls_missed ON calls (updated_at, ended_at)
        WHERE state = 'missed' AND direction = 'incoming';",
];

/// The most events of one kind (ringing, answered, ended) stored for one call.
pub const MAX_STORED_PER_KIND: i64 = 4;

/// How far back the unseen missed calls are counted at start.
pub const UNSEEN_LOOKBACK: Duration = Duration::from_secs(7 * 24 * 3600);

/// How far before the tracker's last write the events are replayed at start.
const REPLAY_MARGIN: Duration = Duration::from_secs(10);

/// What can go wrong with the history file.
#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("cannot open the call history {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "the call history {path} was written by a newer calltray (schema {found}, this one knows {known}); update calltray"
    )]
    TooNew {
        path: String,
        found: i64,
        known: usize,
    },
    #[error("call history: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// One call as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallRow {
    pub callid: String,
    pub direction: &'static str,
    pub extension: String,
    pub party: String,
    /// The party's name as known at the time of the call.
    pub name: Option<String>,
    /// `ringing`, `in_call`, `answered`, `missed` or `unanswered`.
    pub state: &'static str,
    pub first_seen: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration: Option<u32>,
}

/// Which calls `calltray history` lists.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub missed_only: bool,
    pub since: Option<Time>,
    pub limit: usize,
}

/// The open history file.
pub struct History {
    conn: Connection,
}

fn ms(t: Time) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> Time {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

fn state_name(state: CallState) -> &'static str {
    match state {
        CallState::Ringing => "ringing",
        CallState::InCall => "in_call",
        CallState::Ended(Outcome::Answered) => "answered",
        CallState::Ended(Outcome::Missed) => "missed",
        CallState::Ended(Outcome::Unanswered) => "unanswered",
    }
}

fn known_state(name: &str) -> &'static str {
    ["ringing", "in_call", "answered", "missed", "unanswered"]
        .into_iter()
        .find(|s| *s == name)
        .unwrap_or("unknown")
}

impl History {
    /// Opens (creating if need be) the history at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(|source| HistoryError::Open {
            path: shown.clone(),
            source,
        })?;
        // WAL: readers (the `history` command) never block the writer. FULL: each commit is
        // synced to the disk before the listener answers 200, so a power cut or a kernel crash
        // after the answer loses nothing either (NORMAL only survived the process dying). It
        // costs a sync per commit (about 0.5 ms here), shared by events committed together,
        // and the toast does not wait for it (see `listener`).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let mut history = History { conn };
        history.migrate(&shown)?;
        Ok(history)
    }

    fn migrate(&mut self, shown: &str) -> Result<(), HistoryError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > MIGRATIONS.len() as i64 {
            return Err(HistoryError::TooNew {
                path: shown.to_string(),
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Stores events in one transaction: all of them, or none. A call keeps at most
    /// [`MAX_STORED_PER_KIND`] events of each kind: past that, a repeat adds nothing the call's
    /// record does not already hold, and storing it would let one call id fill the disk (and
    /// the replay at the next start).
    pub fn record(&mut self, batch: &[(CallEvent, Time)]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (received_at, kind, callid, direction, caller, callee, duration, extra)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut stored = tx.prepare_cached(
                "SELECT count(*) FROM events INDEXED BY events_by_call
                 WHERE callid = ?1 AND direction = ?2 AND kind = ?3",
            )?;
            for (event, at) in batch {
                let already: i64 = stored.query_row(
                    params![event.callid, event.direction.as_str(), event.kind.name()],
                    |r| r.get(0),
                )?;
                if already >= MAX_STORED_PER_KIND {
                    continue;
                }
                let extra = serde_json::to_string(&event.extra).unwrap_or_else(|_| "[]".into());
                insert.execute(params![
                    ms(*at),
                    event.kind.name(),
                    event.callid,
                    event.direction.as_str(),
                    event.caller,
                    event.callee,
                    event.duration,
                    extra,
                ])?;
            }
        }
        tx.commit()
    }

    /// Writes a call's current state (one row per call, replaced as it changes).
    pub fn save_call(
        &mut self,
        call: &Call,
        name: Option<&str>,
        now: Time,
    ) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO calls (callid, direction, extension, party, state, first_seen,
                                    answered_at, ended_at, duration, updated_at, name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (callid, direction) DO UPDATE SET
                    extension = ?3, party = ?4, state = ?5, first_seen = ?6,
                    answered_at = ?7, ended_at = ?8, duration = ?9, updated_at = ?10,
                    name = coalesce(?11, name)",
            )?
            .execute(params![
                call.key.callid,
                call.key.direction.as_str(),
                call.extension,
                call.party,
                state_name(call.state),
                ms(call.first_seen),
                call.answered_at.map(ms),
                call.ended_at.map(ms),
                call.duration,
                ms(now),
                name,
            ])?;
        Ok(())
    }

    /// The events to replay at start, in arrival order: those of the `recent` calls updated
    /// last, of calls still live when calltray stopped, and any event newer than the last
    /// call update (the tracker had not seen it).
    pub fn replay_set(&self, recent: usize, now: Time) -> rusqlite::Result<Vec<(CallEvent, Time)>> {
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut known = std::collections::HashSet::new();
        let mut add = |k: (String, String)| {
            if known.insert(k.clone()) {
                keys.push(k);
            }
        };
        let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
        for k in self
            .conn
            .prepare_cached(
                "SELECT callid, direction FROM calls ORDER BY updated_at DESC LIMIT ?1",
            )?
            .query_map([recent as i64], pair)?
        {
            add(k?);
        }
        let day_ago = ms(now - TimeDelta::hours(12));
        for k in self
            .conn
            .prepare_cached(
                "SELECT callid, direction FROM calls WHERE ended_at IS NULL AND first_seen > ?1",
            )?
            .query_map([day_ago], pair)?
        {
            add(k?);
        }
        let last_update: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(updated_at), 0) FROM calls", [], |r| {
                    r.get(0)
                })?;
        // What arrived after the tracker last wrote (a handful after a crash), with a margin:
        // the listener's threads hand events to the tracker in a slightly different order
        // from the one they arrived in.
        let since = last_update - REPLAY_MARGIN.as_millis() as i64;
        for k in self
            .conn
            .prepare_cached(
                // Not DISTINCT: SQLite would then walk the whole per-call index.
                "SELECT callid, direction FROM events INDEXED BY events_by_time
                 WHERE received_at >= ?1",
            )?
            .query_map([since], pair)?
        {
            add(k?);
        }
        let mut events = Vec::new();
        let mut select = self.conn.prepare_cached(
            "SELECT id, received_at, kind, callid, direction, caller, callee, duration, extra
             FROM events WHERE callid = ?1 AND direction = ?2 ORDER BY id",
        )?;
        for (callid, direction) in &keys {
            for row in select.query_map(params![callid, direction], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<u32>>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })? {
                let (id, at, kind, callid, direction, caller, callee, duration, extra) = row?;
                let kind = match kind.as_str() {
                    "CallInitiated" => EventKind::Initiated,
                    "CallAnswered" => EventKind::Answered,
                    _ => EventKind::Ended,
                };
                let direction = if direction == "outgoing" {
                    Direction::Outgoing
                } else {
                    Direction::Incoming
                };
                let extra = serde_json::from_str(&extra).unwrap_or_default();
                events.push((
                    id,
                    CallEvent {
                        kind,
                        callid,
                        direction,
                        caller,
                        callee,
                        duration,
                        extra,
                    },
                    from_ms(at),
                ));
            }
        }
        events.sort_by_key(|(id, _, _)| *id);
        Ok(events.into_iter().map(|(_, e, t)| (e, t)).collect())
    }

    /// When the user last marked missed calls as seen.
    pub fn seen_at(&self) -> rusqlite::Result<Option<Time>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'seen_at'", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map(|v| v.map(from_ms))
    }

    /// How many incoming calls were missed since the user last marked them seen, looking back
    /// at most [`UNSEEN_LOOKBACK`] so that start-up reads a bounded part of the history.
    pub fn unseen_missed(&self, seen_at: Option<Time>, now: Time) -> rusqlite::Result<usize> {
        let lookback = now - TimeDelta::from_std(UNSEEN_LOOKBACK).unwrap_or_default();
        let since = seen_at.map_or(lookback, |seen| seen.max(lookback));
        self.conn
            .prepare_cached(
                "SELECT count(*) FROM calls INDEXED BY calls_missed
                 WHERE updated_at > ?1 AND state = 'missed' AND direction = 'incoming'
                   AND ended_at > ?1",
            )?
            .query_row(params![ms(since)], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as usize)
    }

    pub fn set_seen_at(&mut self, at: Time) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('seen_at', ?1)
             ON CONFLICT (key) DO UPDATE SET value = ?1",
            [ms(at)],
        )?;
        Ok(())
    }

    /// Deletes calls and events older than the retention, and the oldest calls past its
    /// count, at most `batch` calls at a time so that the listener's writes interleave.
    /// Returns how many rows went; call again until it returns 0.
    pub fn prune(&mut self, keep: Retention, now: Time, batch: usize) -> rusqlite::Result<usize> {
        let too_old = ms(now - TimeDelta::days(i64::from(keep.keep_days)));
        if self.within(keep, too_old)? {
            return Ok(0);
        }
        // The newest call past the count, by start then id; it and the calls before it go.
        // The id settles calls that started in the same millisecond, which would otherwise
        // all go with the one past the count.
        let (past_start, past_id): (i64, i64) = self
            .conn
            .query_row(
                "SELECT first_seen, id FROM calls ORDER BY first_seen DESC, id DESC
                 LIMIT 1 OFFSET ?1",
                [keep.keep_calls as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((i64::MIN, i64::MIN));
        let tx = self.conn.transaction()?;
        let doomed: Vec<(i64, String, String)> = tx
            .prepare_cached(
                "SELECT id, callid, direction FROM calls
                 WHERE first_seen < ?1 OR (first_seen, id) <= (?2, ?3)
                 ORDER BY first_seen, id LIMIT ?4",
            )?
            .query_map(params![too_old, past_start, past_id, batch as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut gone = 0;
        for (id, callid, direction) in &doomed {
            gone += tx
                .prepare_cached("DELETE FROM events WHERE callid = ?1 AND direction = ?2")?
                .execute(params![callid, direction])?;
            gone += tx
                .prepare_cached("DELETE FROM calls WHERE id = ?1")?
                .execute([id])?;
        }
        // Events whose call row never got written (a crash at the wrong moment).
        gone += tx.execute(
            "DELETE FROM events WHERE id IN
               (SELECT id FROM events WHERE received_at < ?1 ORDER BY received_at LIMIT ?2)",
            params![too_old, batch as i64],
        )?;
        tx.commit()?;
        Ok(gone)
    }

    /// Whether nothing is past the retention, told from the ends of three indexes. Most
    /// prunings find nothing to do, and finding the calls past `keep_calls` walks that many
    /// index entries (26 ms for a million calls). Call ids are distinct integers, so the span
    /// from the lowest to the highest is at least the number of calls.
    fn within(&self, keep: Retention, too_old: i64) -> rusqlite::Result<bool> {
        type Ends = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);
        let (oldest_call, oldest_event, low, high): Ends = self.conn.query_row(
            // CAST: a time written by hand as a float or text must not stop every pruning.
            "SELECT CAST((SELECT min(first_seen) FROM calls) AS INTEGER),
                    CAST((SELECT min(received_at) FROM events) AS INTEGER),
                    (SELECT min(id) FROM calls), (SELECT max(id) FROM calls)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        // In i128: ids written by hand could span more than an i64.
        let span = match (low, high) {
            (Some(low), Some(high)) => i128::from(high) - i128::from(low) + 1,
            _ => 0,
        };
        Ok(oldest_call.is_none_or(|t| t >= too_old)
            && oldest_event.is_none_or(|t| t >= too_old)
            && span <= keep.keep_calls as i128)
    }

    /// Calls for `calltray history`, newest first.
    pub fn list(&self, filter: &Filter) -> rusqlite::Result<Vec<CallRow>> {
        let since = filter.since.map(ms).unwrap_or(i64::MIN);
        let mut select = self.conn.prepare(
            "SELECT callid, direction, extension, party, state, first_seen, answered_at,
                    ended_at, duration, name
             FROM calls
             WHERE first_seen >= ?1 AND (?2 = 0 OR state = 'missed')
             ORDER BY first_seen DESC LIMIT ?3",
        )?;
        let rows = select.query_map(
            params![since, filter.missed_only as i64, filter.limit as i64],
            |r| {
                Ok(CallRow {
                    callid: r.get(0)?,
                    direction: if r.get::<_, String>(1)? == "outgoing" {
                        "outgoing"
                    } else {
                        "incoming"
                    },
                    extension: r.get(2)?,
                    party: r.get(3)?,
                    state: known_state(&r.get::<_, String>(4)?),
                    first_seen: from_ms(r.get(5)?),
                    answered_at: r.get::<_, Option<i64>>(6)?.map(from_ms),
                    ended_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
                    duration: r.get(8)?,
                    name: r.get(9)?,
                })
            },
        )?;
        rows.collect()
    }
}

/// A request to record events, answered once they are on disk.
struct Pending {
    events: Vec<(CallEvent, Time)>,
    done: SyncSender<bool>,
}

/// What the history thread is asked to do.
enum Msg {
    Record(Pending),
    Write(Write),
}

/// What the core loop asks of the history thread.
pub enum Write {
    /// A call's new state, with the party's name when one is known.
    Call(Box<Call>, Option<String>, Time),
    SeenAt(Time),
    /// The config changed: prune to the new retention.
    Retention(Retention),
    /// The calls replayed at start are saved (they were sent before this): the first
    /// pruning can run. Run earlier, it could delete a call that the replay then saves
    /// again, as a row with no events, for an hour.
    Replayed,
}

/// The listener's side of the history: `record` returns once the event is committed (or
/// says it could not be, and the listener answers 503 so that Ubity sends it again).
/// Requests arriving together are committed together, one disk write for many events.
#[derive(Clone)]
pub struct Recorder {
    queue: Sender<Msg>,
}

impl Recorder {
    pub fn record(&self, event: CallEvent, at: Time) -> bool {
        let (done, wait) = sync_channel(1);
        let pending = Pending {
            events: vec![(event, at)],
            done,
        };
        if self.queue.send(Msg::Record(pending)).is_err() {
            return false;
        }
        wait.recv().unwrap_or(false)
    }
}

/// The core loop's side: call states to save, never waited for.
#[derive(Clone)]
pub struct Writer {
    queue: Sender<Msg>,
}

impl Writer {
    pub fn send(&self, write: Write) {
        let _ = self.queue.send(Msg::Write(write));
    }
}

/// Starts the thread that owns the history: it commits the listener's events in groups,
/// saves the calls the tracker reports, and prunes by the retention once the start-up
/// replay is saved ([`Write::Replayed`]), then once an hour (in small batches, between the
/// listener's commits). It sleeps while there is nothing to do.
pub fn spawn(mut history: History, keep: Retention) -> std::io::Result<(Recorder, Writer)> {
    let (queue, inbox) = std::sync::mpsc::channel::<Msg>();
    std::thread::Builder::new()
        .name("history".into())
        .spawn(move || serve(&mut history, keep, inbox))?;
    Ok((
        Recorder {
            queue: queue.clone(),
        },
        Writer { queue },
    ))
}

/// Pruning runs at start (once the replay is saved), while calltray is busy anyway, then
/// this often: an idle agent wakes for it once an hour, and a history within its retention
/// costs a glance at three indexes ([`History::within`]).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const PRUNE_BATCH: usize = 1000;
/// The most events committed in one transaction.
const GROUP: usize = 256;

fn serve(history: &mut History, mut keep: Retention, inbox: Receiver<Msg>) {
    // None until the start-up replay is saved.
    let mut next_prune: Option<Instant> = None;
    loop {
        let received = match next_prune {
            Some(at) => inbox.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let first = match received {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut group = Vec::new();
        let mut writes = Vec::new();
        let mut next = first;
        while let Some(msg) = next {
            match msg {
                Msg::Record(p) => group.push(p),
                Msg::Write(w) => writes.push(w),
            }
            next = if group.len() < GROUP {
                inbox.try_recv().ok()
            } else {
                None
            };
        }
        if !group.is_empty() {
            let events: Vec<(CallEvent, Time)> = group
                .iter()
                .flat_map(|p| p.events.iter().cloned())
                .collect();
            let ok = match history.record(&events) {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(
                        "could not record {} event(s) in the history: {e}",
                        events.len()
                    );
                    false
                }
            };
            for p in group {
                let _ = p.done.send(ok);
            }
        }
        for write in writes {
            let result = match write {
                Write::Call(call, name, now) => history.save_call(&call, name.as_deref(), now),
                Write::SeenAt(at) => history.set_seen_at(at),
                Write::Retention(new) => {
                    if new != keep {
                        keep = new;
                        next_prune = Some(Instant::now());
                    }
                    Ok(())
                }
                Write::Replayed => {
                    next_prune.get_or_insert_with(Instant::now);
                    Ok(())
                }
            };
            if let Err(e) = result {
                tracing::warn!("could not update the call history: {e}");
            }
        }
        if next_prune.is_some_and(|at| Instant::now() >= at) {
            match history.prune(keep, Utc::now(), PRUNE_BATCH) {
                // More to delete: go on at once, after whatever is waiting.
                Ok(n) if n > 0 => {}
                Ok(_) => next_prune = Some(Instant::now() + PRUNE_EVERY),
                Err(e) => {
                    tracing::warn!("could not prune the call history: {e}");
                    next_prune = Some(Instant::now() + PRUNE_EVERY);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::CallTracker;

    fn event(kind: EventKind, callid: &str) -> CallEvent {
        CallEvent {
            kind,
            callid: callid.into(),
            direction: Direction::Incoming,
            caller: "5145551212".into(),
            callee: "100".into(),
            duration: (kind == EventKind::Ended).then_some(65),
            extra: vec![("crm".into(), "42".into())],
        }
    }

    fn t(secs: i64) -> Time {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("a time")
    }

    /// The call ids `calltray history` would list (10 at most), newest first.
    fn callids(h: &History) -> Vec<String> {
        h.list(&Filter {
            limit: 10,
            ..Filter::default()
        })
        .expect("list")
        .into_iter()
        .map(|r| r.callid)
        .collect()
    }

    /// How many rows `table` holds.
    fn rows(h: &History, table: &str) -> i64 {
        h.conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    }

    /// Records `events` and saves what the tracker makes of them, as the agent does.
    fn feed(h: &mut History, tracker: &mut CallTracker, events: &[(CallEvent, Time)]) {
        h.record(events).expect("record");
        for (e, at) in events {
            if let Some(u) = tracker.apply(e, *at) {
                h.save_call(&u.call, None, *at).expect("save");
            }
        }
    }

    #[test]
    fn the_schema_is_made_once_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("h.sqlite3");
        drop(History::open(&path).expect("first open"));
        drop(History::open(&path).expect("second open migrates nothing"));
        let conn = Connection::open(&path).expect("raw");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        let e = History::open(&path).err().expect("refused");
        assert!(e.to_string().contains("newer calltray"), "{e}");
    }

    #[test]
    fn unseen_missed_calls_are_counted_since_they_were_seen() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        // 15 missed calls, more than the 10 recent calls held in memory.
        let events: Vec<(CallEvent, Time)> = (0..15)
            .flat_map(|i| {
                let id = format!("M{i}");
                let mut ended = event(EventKind::Ended, &id);
                ended.duration = None;
                [
                    (event(EventKind::Initiated, &id), t(i * 10)),
                    (ended, t(i * 10 + 5)),
                ]
            })
            .collect();
        feed(&mut h, &mut tracker, &events);
        assert_eq!(h.unseen_missed(None, t(200)), Ok(15));
        // Marked seen after the 10th ended: 5 remain.
        assert_eq!(h.unseen_missed(Some(t(100)), t(200)), Ok(5));
        // A week later none of them counts any more.
        assert_eq!(h.unseen_missed(None, t(8 * 24 * 3600)), Ok(0));
    }

    #[test]
    fn repeats_of_one_call_stop_being_stored() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        let spam: Vec<(CallEvent, Time)> = (0..50)
            .map(|i| (event(EventKind::Initiated, "SPAM"), t(i)))
            .collect();
        h.record(&spam).expect("record");
        h.record(&[(event(EventKind::Ended, "SPAM"), t(60))])
            .expect("record");
        h.record(&[(event(EventKind::Initiated, "OTHER"), t(61))])
            .expect("record");
        let count = |callid: &str, kind: &str| -> i64 {
            h.conn
                .query_row(
                    "SELECT count(*) FROM events WHERE callid = ?1 AND kind = ?2",
                    params![callid, kind],
                    |r| r.get(0),
                )
                .expect("count")
        };
        let initiated = EventKind::Initiated.name();
        assert_eq!(count("SPAM", initiated), MAX_STORED_PER_KIND);
        // Another kind of the same call, and another call, are stored as ever.
        assert_eq!(count("SPAM", EventKind::Ended.name()), 1);
        assert_eq!(count("OTHER", initiated), 1);
    }

    #[test]
    fn events_replay_into_the_same_calls_and_lists_filter() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        feed(
            &mut h,
            &mut tracker,
            &[
                (event(EventKind::Initiated, "A"), t(0)),
                (event(EventKind::Ended, "A"), t(10)),
                (event(EventKind::Initiated, "B"), t(20)),
                (event(EventKind::Answered, "B"), t(25)),
                (event(EventKind::Ended, "B"), t(90)),
            ],
        );
        let replay = h.replay_set(10, t(100)).expect("replay");
        assert_eq!(replay.len(), 5);
        assert_eq!(
            replay[0].0.extra,
            vec![("crm".to_string(), "42".to_string())]
        );
        let mut again = CallTracker::new(Duration::from_secs(120), 10);
        for (e, at) in &replay {
            again.apply(e, *at);
        }
        let recent: Vec<_> = again
            .recent()
            .map(|c| (c.key.callid.clone(), c.state))
            .collect();
        assert_eq!(
            recent,
            vec![
                ("B".to_string(), CallState::Ended(Outcome::Answered)),
                ("A".to_string(), CallState::Ended(Outcome::Missed)),
            ]
        );
        let all = h
            .list(&Filter {
                limit: 10,
                ..Filter::default()
            })
            .expect("list");
        assert_eq!(
            all.iter().map(|r| r.callid.as_str()).collect::<Vec<_>>(),
            ["B", "A"]
        );
        assert_eq!(all[0].duration, Some(65));
        let missed = h
            .list(&Filter {
                missed_only: true,
                limit: 10,
                ..Filter::default()
            })
            .expect("list");
        assert_eq!(missed.len(), 1);
        let since = h
            .list(&Filter {
                since: Some(t(15)),
                limit: 10,
                ..Filter::default()
            })
            .expect("list");
        assert_eq!(since.len(), 1);
    }

    #[test]
    fn pruning_keeps_the_newest_by_age_and_count() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        let day = 86_400;
        for i in 0..5 {
            let id = format!("C{i}");
            feed(
                &mut h,
                &mut tracker,
                &[
                    (event(EventKind::Initiated, &id), t(i * day)),
                    (event(EventKind::Ended, &id), t(i * day + 5)),
                ],
            );
        }
        // Keep 2 days: calls of days 3 and 4 (now is day 5).
        let keep = Retention {
            keep_days: 2,
            keep_calls: 100,
        };
        while h.prune(keep, t(5 * day), 1).expect("prune") > 0 {}
        assert_eq!(callids(&h), ["C4", "C3"]);
        // Keep 1 call.
        let keep = Retention {
            keep_days: 100,
            keep_calls: 1,
        };
        while h.prune(keep, t(5 * day), 1000).expect("prune") > 0 {}
        assert_eq!(callids(&h), ["C4"]);
        let events = rows(&h, "events");
        assert_eq!(events, 2, "the events of pruned calls go too");
    }

    #[test]
    fn the_first_pruning_waits_for_the_replay_to_be_saved() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("h.sqlite3");
        let mut h = History::open(&path).expect("open");
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        let mut oldest = None;
        for i in 0..3 {
            let id = format!("C{i}");
            let events = [
                (event(EventKind::Initiated, &id), t(i * 60)),
                (event(EventKind::Ended, &id), t(i * 60 + 5)),
            ];
            h.record(&events).expect("record");
            for (e, at) in &events {
                if let Some(u) = tracker.apply(e, *at) {
                    h.save_call(&u.call, None, *at).expect("save");
                    oldest.get_or_insert(u.call.clone());
                }
            }
        }
        let keep = Retention {
            keep_days: 3650,
            keep_calls: 1,
        };
        let (recorder, writer) = spawn(h, keep).expect("history thread");
        let reader = History::open(&path).expect("open again");
        // Two commits one after the other: once the second is answered, anything the thread
        // did at start is done.
        for id in ["sync1", "sync2"] {
            assert!(recorder.record(event(EventKind::Initiated, id), t(300)));
        }
        let calls = rows(&reader, "calls");
        assert_eq!(calls, 3, "pruned before the replay was saved");
        // As the agent does at start: the replay saves its calls again, then says so.
        writer.send(Write::Call(Box::new(oldest.expect("a call")), None, t(200)));
        writer.send(Write::Replayed);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while callids(&reader).len() > 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            callids(&reader),
            ["C2"],
            "a call saved again by the replay was kept"
        );
    }

    #[test]
    fn calls_past_the_count_are_found_whatever_their_ids() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        // Ids as far apart as SQLite allows: their span does not fit an i64.
        for (id, at) in [(i64::MIN, 10), (i64::MAX, 20)] {
            h.conn
                .execute(
                    "INSERT INTO calls (id, callid, direction, extension, party, state,
                                        first_seen, updated_at)
                     VALUES (?1, ?2, 'incoming', '100', '5145551212', 'missed', ?3, ?3)",
                    params![id, format!("C{at}"), ms(t(at))],
                )
                .expect("insert");
        }
        let keep = Retention {
            keep_days: 100,
            keep_calls: 1,
        };
        while h.prune(keep, t(30), 1000).expect("prune") > 0 {}
        assert_eq!(callids(&h), ["C20"]);
    }

    #[test]
    fn calls_that_started_together_are_kept_up_to_the_count() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        for id in ["A", "B", "C"] {
            feed(
                &mut h,
                &mut tracker,
                &[(event(EventKind::Initiated, id), t(0))],
            );
        }
        let keep = Retention {
            keep_days: 3650,
            keep_calls: 2,
        };
        while h.prune(keep, t(10), 1000).expect("prune") > 0 {}
        assert_eq!(
            callids(&h).len(),
            2,
            "calls of the same millisecond all went"
        );
    }

    #[test]
    fn a_time_written_as_a_float_does_not_stop_pruning() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        feed(
            &mut h,
            &mut tracker,
            &[(event(EventKind::Initiated, "old"), t(0))],
        );
        h.conn
            .execute("UPDATE calls SET first_seen = first_seen + 0.5", [])
            .expect("edit");
        let keep = Retention {
            keep_days: 1,
            keep_calls: 100,
        };
        while h.prune(keep, t(3 * 86_400), 1000).expect("prune") > 0 {}
        let calls = rows(&h, "calls");
        assert_eq!(calls, 0);
    }

    #[test]
    fn old_events_without_a_call_row_are_pruned_too() {
        let dir = tempfile::tempdir().expect("dir");
        let mut h = History::open(&dir.path().join("h.sqlite3")).expect("open");
        let day = 86_400;
        // Recorded, but calltray died before the tracker saved the call.
        h.record(&[(event(EventKind::Initiated, "orphan"), t(0))])
            .expect("record");
        let keep = Retention {
            keep_days: 2,
            keep_calls: 100,
        };
        assert_eq!(
            h.prune(keep, t(day), 1000).expect("prune"),
            0,
            "not old yet"
        );
        assert!(h.prune(keep, t(3 * day), 1000).expect("prune") > 0);
        let events = rows(&h, "events");
        assert_eq!(events, 0);
    }
}
