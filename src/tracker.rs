//! Following each of the user's calls from ringing to its end.
//!
//! Pure logic: events and the current time go in, state changes come out. Nothing here reads
//! a clock or touches the network, so every rule is tested with plain tables.
//!
//! Ubity's callbacks are separate HTTP requests: they can be repeated, arrive out of order, or
//! never arrive. The tracker therefore keys calls by `(callid, direction)` (an internal call
//! between two of the user's extensions is two legs, one each way), counts each step once,
//! builds a correct call from whichever step comes first, and ends calls nobody hangs up.

use crate::event::{CallEvent, Direction, EventKind};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

/// Wall-clock time, passed in by the caller.
pub type Time = DateTime<Utc>;

/// Most calls followed at once; beyond this the oldest is dropped, so a flood cannot grow memory.
pub const MAX_LIVE_CALLS: usize = 256;
/// Most echoed parameters kept with one call.
pub const MAX_EXTRA_PER_CALL: usize = 32;
/// How many ended calls are remembered, so late or repeated events for them are recognised.
pub const FINISHED_MEMORY: usize = 4096;
/// An answered call with no CallEnded after this long is taken as over (its end was lost).
pub const MAX_CALL_LENGTH: Duration = Duration::from_secs(12 * 3600);

/// One call leg, as far as the user is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallKey {
    pub callid: String,
    pub direction: Direction,
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    Ringing,
    InCall,
    Ended(Outcome),
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Someone picked up; the call happened.
    Answered,
    /// An incoming call nobody answered.
    Missed,
    /// An outgoing call the other end never answered.
    Unanswered,
}

impl Outcome {
    fn unanswered(direction: Direction) -> Outcome {
        match direction {
            Direction::Incoming => Outcome::Missed,
            Direction::Outgoing => Outcome::Unanswered,
        }
    }
}

/// Everything known about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub key: CallKey,
    /// The user's own extension on this call, as Ubity wrote it.
    pub extension: String,
    /// The other party, as Ubity wrote it.
    pub party: String,
    pub state: CallState,
    pub first_seen: Time,
    pub answered_at: Option<Time>,
    pub ended_at: Option<Time>,
    /// As reported by CallEnded; never made up.
    pub duration: Option<u32>,
    /// Parameters Ubity echoed back, first value of each name.
    pub extra: Vec<(String, String)>,
    timed_out: bool,
}

/// The step a call just took, for the views to announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Ringing,
    Answered,
    Ended,
}

/// A call that just changed, with its state after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub step: Step,
    pub call: Call,
}

/// The user's calls: live ones, recently finished ones, and what is still unseen.
#[derive(Debug)]
pub struct CallTracker {
    ring_timeout: TimeDelta,
    live: HashMap<CallKey, Call>,
    finished: HashSet<CallKey>,
    finished_order: VecDeque<CallKey>,
    recent: VecDeque<Call>,
    recent_capacity: usize,
    unseen_missed: usize,
    dropped: u64,
}

impl CallTracker {
    /// A tracker that ends a ringing call as missed after `ring_timeout` and remembers the
    /// last `recent_capacity` finished calls for display.
    pub fn new(ring_timeout: Duration, recent_capacity: usize) -> CallTracker {
        CallTracker {
            ring_timeout: TimeDelta::from_std(ring_timeout).unwrap_or(TimeDelta::MAX),
            live: HashMap::new(),
            finished: HashSet::new(),
            finished_order: VecDeque::new(),
            recent: VecDeque::new(),
            recent_capacity,
            unseen_missed: 0,
            dropped: 0,
        }
    }

    /// Changes how long a call may ring before it counts as missed (a config reload); calls
    /// already ringing follow the new value.
    pub fn set_ring_timeout(&mut self, ring_timeout: Duration) {
        self.ring_timeout = TimeDelta::from_std(ring_timeout).unwrap_or(TimeDelta::MAX);
    }

    /// Takes one event of the user's and says what changed, if anything did: a repeated or
    /// stale event changes nothing.
    pub fn apply(&mut self, event: &CallEvent, now: Time) -> Option<Update> {
        let key = CallKey {
            callid: event.callid.clone(),
            direction: event.direction,
        };
        if self.finished.contains(&key) {
            return self.apply_late(event, &key, now);
        }
        if let Some(call) = self.live.get_mut(&key) {
            merge_extra(call, event);
            return match (event.kind, call.state) {
                (EventKind::Initiated, _) => None,
                (EventKind::Answered, CallState::Ringing) => {
                    call.state = CallState::InCall;
                    call.answered_at = Some(now);
                    Some(Update {
                        step: Step::Answered,
                        call: call.clone(),
                    })
                }
                (EventKind::Answered, _) => None,
                (EventKind::Ended, _) => {
                    let call = self.live.remove(&key)?;
                    Some(self.finish(call, event.duration, now, false))
                }
            };
        }

        let (extension, party) = event.sides();
        let mut call = Call {
            key: key.clone(),
            extension: extension.to_string(),
            party: party.to_string(),
            state: CallState::Ringing,
            first_seen: now,
            answered_at: None,
            ended_at: None,
            duration: None,
            extra: Vec::new(),
            timed_out: false,
        };
        merge_extra(&mut call, event);
        let step = match event.kind {
            EventKind::Initiated => Step::Ringing,
            EventKind::Answered => {
                call.state = CallState::InCall;
                call.answered_at = Some(now);
                Step::Answered
            }
            EventKind::Ended => return Some(self.finish(call, event.duration, now, false)),
        };
        self.make_room();
        self.live.insert(key, call.clone());
        Some(Update { step, call })
    }

    /// Ends the calls whose time is up: ringing past the ring timeout (missed), or answered
    /// so long ago that their CallEnded must have been lost.
    pub fn expire(&mut self, now: Time) -> Vec<Update> {
        let due: Vec<CallKey> = self
            .live
            .values()
            .filter(|c| self.deadline(c).is_some_and(|d| d <= now))
            .map(|c| c.key.clone())
            .collect();
        let calls: Vec<Call> = due.iter().filter_map(|key| self.live.remove(key)).collect();
        let mut updates: Vec<Update> = calls
            .into_iter()
            .map(|call| self.finish(call, None, now, true))
            .collect();
        updates.sort_by_key(|u| u.call.first_seen);
        updates
    }

    /// When [`expire`](Self::expire) next has something to do; `None` while no call is live.
    pub fn next_deadline(&self) -> Option<Time> {
        self.live.values().filter_map(|c| self.deadline(c)).min()
    }

    /// Calls still ringing or in progress, oldest first.
    pub fn live(&self) -> Vec<&Call> {
        let mut calls: Vec<&Call> = self.live.values().collect();
        calls.sort_by_key(|c| c.first_seen);
        calls
    }

    /// Finished calls, newest first.
    pub fn recent(&self) -> impl Iterator<Item = &Call> {
        self.recent.iter()
    }

    /// Missed incoming calls the user has not acknowledged yet.
    pub fn unseen_missed(&self) -> usize {
        self.unseen_missed
    }

    /// The user has looked at their missed calls.
    pub fn mark_seen(&mut self) {
        self.unseen_missed = 0;
    }

    /// After a restart: counts as unseen the recent missed calls that ended after the user
    /// last marked them seen (`None`: never), or `recorded`, the history's count of them, when
    /// that is more (it reaches past the recent calls kept in memory).
    pub fn restore_unseen(&mut self, seen_at: Option<Time>, recorded: usize) {
        let recent = self
            .recent
            .iter()
            .filter(|c| c.state == CallState::Ended(Outcome::Missed))
            .filter(|c| seen_at.is_none_or(|seen| c.ended_at.is_some_and(|e| e > seen)))
            .count();
        self.unseen_missed = recent.max(recorded);
    }

    /// Live calls dropped because too many were live at once.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn deadline(&self, call: &Call) -> Option<Time> {
        match call.state {
            CallState::Ringing => call.first_seen.checked_add_signed(self.ring_timeout),
            CallState::InCall => call
                .answered_at
                .and_then(|t| t.checked_add_signed(TimeDelta::from_std(MAX_CALL_LENGTH).ok()?)),
            CallState::Ended(_) => None,
        }
    }

    /// Records a call, already out of the live table, as finished and says how it ended.
    /// `timed_out` is set when no CallEnded came and the tracker ended it itself.
    fn finish(
        &mut self,
        mut call: Call,
        duration: Option<u32>,
        now: Time,
        timed_out: bool,
    ) -> Update {
        let key = call.key.clone();
        let outcome = if call.answered_at.is_some() {
            Outcome::Answered
        } else {
            Outcome::unanswered(key.direction)
        };
        call.state = CallState::Ended(outcome);
        call.ended_at = Some(now);
        call.duration = duration;
        call.timed_out = timed_out;
        if outcome == Outcome::Missed {
            self.unseen_missed += 1;
        }
        self.remember_finished(key);
        self.recent.push_front(call.clone());
        self.recent.truncate(self.recent_capacity);
        Update {
            step: Step::Ended,
            call,
        }
    }

    /// An event for a call already over. Only one thing can still change: a CallAnswered
    /// overtaken by its CallEnded shows that a call taken for missed was in fact answered.
    fn apply_late(&mut self, event: &CallEvent, key: &CallKey, now: Time) -> Option<Update> {
        if event.kind != EventKind::Answered {
            return None;
        }
        let at = self.recent.iter().position(|c| c.key == *key)?;
        let CallState::Ended(outcome @ (Outcome::Missed | Outcome::Unanswered)) =
            self.recent[at].state
        else {
            return None;
        };
        if outcome == Outcome::Missed {
            self.unseen_missed = self.unseen_missed.saturating_sub(1);
        }
        if self.recent[at].timed_out {
            // The ring timeout guessed wrong: no CallEnded had come, so the call is in
            // progress after all. It goes back to the live table.
            let mut call = self.recent.remove(at)?;
            self.finished.remove(key);
            self.finished_order.retain(|k| k != key);
            call.state = CallState::InCall;
            call.answered_at = Some(now);
            call.ended_at = None;
            call.timed_out = false;
            merge_extra(&mut call, event);
            self.make_room();
            self.live.insert(key.clone(), call.clone());
            return Some(Update {
                step: Step::Answered,
                call,
            });
        }
        // Its CallEnded overtook this answer: the call happened, and is over.
        let call = &mut self.recent[at];
        call.state = CallState::Ended(Outcome::Answered);
        call.answered_at = Some(now);
        Some(Update {
            step: Step::Ended,
            call: call.clone(),
        })
    }

    fn remember_finished(&mut self, key: CallKey) {
        if self.finished.insert(key.clone()) {
            self.finished_order.push_back(key);
        }
        while self.finished_order.len() > FINISHED_MEMORY {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }

    /// Keeps the live table under its bound by forgetting the call seen longest ago.
    fn make_room(&mut self) {
        while self.live.len() >= MAX_LIVE_CALLS {
            let Some(oldest) = self
                .live
                .values()
                .min_by_key(|c| c.first_seen)
                .map(|c| c.key.clone())
            else {
                return;
            };
            self.live.remove(&oldest);
            self.dropped += 1;
        }
    }
}

/// Adds the event's echoed parameters the call does not have yet, up to
/// [`MAX_EXTRA_PER_CALL`]: a sender repeating events with new names cannot grow a call.
fn merge_extra(call: &mut Call, event: &CallEvent) {
    for (name, value) in &event.extra {
        if call.extra.len() >= MAX_EXTRA_PER_CALL {
            return;
        }
        if !call.extra.iter().any(|(n, _)| n == name) {
            call.extra.push((name.clone(), value.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    const RING: Duration = Duration::from_secs(120);

    fn t(secs: i64) -> Time {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("valid test time")
    }

    fn ev(kind: EventKind, callid: &str, direction: &str, duration: Option<u32>) -> CallEvent {
        let (caller, callee) = match direction {
            "incoming" => ("5145551212", "100"),
            _ => ("100", "5145551212"),
        };
        let mut p = Params::default();
        p.add_encoded(&format!(
            "callid={callid}&type={direction}&caller={caller}&callee={callee}"
        ))
        .expect("test params");
        let mut e = CallEvent::from_params(kind, &p).expect("test event");
        e.duration = duration;
        e
    }

    use EventKind::{Answered as A, Ended as E, Initiated as I};

    /// Feeds `(time, kind, duration)` events for one incoming call and returns the steps
    /// announced and the final state.
    fn run(events: &[(i64, EventKind, Option<u32>)]) -> (Vec<Step>, Option<Call>) {
        let mut tr = CallTracker::new(RING, 10);
        let mut steps = Vec::new();
        for (at, kind, duration) in events {
            steps.extend(tr.expire(t(*at)).into_iter().map(|u| u.step));
            if let Some(u) = tr.apply(&ev(*kind, "C1", "incoming", *duration), t(*at)) {
                steps.push(u.step);
            }
        }
        let last = tr
            .recent()
            .next()
            .cloned()
            .or_else(|| tr.live().first().map(|c| (*c).clone()));
        (steps, last)
    }

    /// A name, the events, the steps announced, the final state and duration.
    type Case = (
        &'static str,
        Vec<(i64, EventKind, Option<u32>)>,
        Vec<Step>,
        CallState,
        Option<u32>,
    );

    #[test]
    fn lifecycles() {
        use Step::{Answered as SA, Ended as SE, Ringing as SR};
        let answered = CallState::Ended(Outcome::Answered);
        let missed = CallState::Ended(Outcome::Missed);
        let table: Vec<Case> = vec![
            (
                "in order",
                vec![(0, I, None), (5, A, None), (305, E, Some(300))],
                vec![SR, SA, SE],
                answered,
                Some(300),
            ),
            (
                "duplicates count once",
                vec![
                    (0, I, None),
                    (0, I, None),
                    (5, A, None),
                    (5, A, None),
                    (305, E, Some(300)),
                    (306, E, Some(300)),
                ],
                vec![SR, SA, SE],
                answered,
                Some(300),
            ),
            (
                "answered before initiated",
                vec![(0, A, None), (0, I, None), (300, E, Some(300))],
                vec![SA, SE],
                answered,
                Some(300),
            ),
            (
                "ended before anything",
                vec![(0, E, Some(300)), (0, I, None)],
                vec![SE],
                missed,
                Some(300),
            ),
            (
                "ended overtakes answered",
                vec![(0, I, None), (9, E, Some(4)), (9, A, None)],
                vec![SR, SE, SE],
                answered,
                Some(4),
            ),
            (
                "ended without answer is missed",
                vec![(0, I, None), (20, E, Some(0))],
                vec![SR, SE],
                missed,
                Some(0),
            ),
            (
                "ringing forever times out",
                vec![(0, I, None), (121, I, None)],
                vec![SR, SE],
                missed,
                None,
            ),
            (
                "late ended after timeout changes nothing",
                vec![(0, I, None), (130, E, Some(3))],
                vec![SR, SE],
                missed,
                None,
            ),
            (
                "an answer after the timeout revives the call",
                vec![(0, I, None), (130, A, None), (190, E, Some(60))],
                vec![SR, SE, SA, SE],
                answered,
                Some(60),
            ),
            (
                "still ringing",
                vec![(0, I, None), (60, I, None)],
                vec![SR],
                CallState::Ringing,
                None,
            ),
            (
                "in call",
                vec![(0, I, None), (2, A, None)],
                vec![SR, SA],
                CallState::InCall,
                None,
            ),
        ];
        for (name, events, want_steps, want_state, want_duration) in table {
            let (steps, call) = run(&events);
            let call = call.expect(name);
            assert_eq!(steps, want_steps, "{name}");
            assert_eq!(call.state, want_state, "{name}");
            assert_eq!(call.duration, want_duration, "{name}");
        }
    }

    #[test]
    fn outgoing_without_answer_is_unanswered_not_missed() {
        let mut tr = CallTracker::new(RING, 10);
        tr.apply(&ev(I, "O1", "outgoing", None), t(0));
        let u = tr.apply(&ev(E, "O1", "outgoing", Some(0)), t(30)).unwrap();
        assert_eq!(u.call.state, CallState::Ended(Outcome::Unanswered));
        assert_eq!(u.call.party, "5145551212");
        assert_eq!(u.call.extension, "100");
        assert_eq!(tr.unseen_missed(), 0);
    }

    #[test]
    fn calls_at_once_are_tracked_apart() {
        let mut tr = CallTracker::new(RING, 10);
        tr.apply(&ev(I, "A", "incoming", None), t(0));
        tr.apply(&ev(A, "A", "incoming", None), t(1));
        tr.apply(&ev(I, "B", "incoming", None), t(2));
        let states: Vec<CallState> = tr.live().iter().map(|c| c.state).collect();
        assert_eq!(states, vec![CallState::InCall, CallState::Ringing]);
        tr.apply(&ev(E, "B", "incoming", Some(0)), t(10));
        assert_eq!(tr.live().len(), 1);
        assert_eq!(tr.unseen_missed(), 1);
        tr.mark_seen();
        assert_eq!(tr.unseen_missed(), 0);
    }

    #[test]
    fn internal_call_between_my_extensions_is_two_legs() {
        let mut tr = CallTracker::new(RING, 10);
        let mut p = Params::default();
        p.add_encoded("callid=X&type=outgoing&caller=100&callee=101")
            .unwrap();
        let out = CallEvent::from_params(I, &p).unwrap();
        let mut p = Params::default();
        p.add_encoded("callid=X&type=incoming&caller=100&callee=101")
            .unwrap();
        let inc = CallEvent::from_params(I, &p).unwrap();
        assert!(tr.apply(&out, t(0)).is_some());
        assert!(tr.apply(&inc, t(0)).is_some());
        let legs: Vec<(&str, &str)> = tr
            .live()
            .iter()
            .map(|c| (c.extension.as_str(), c.party.as_str()))
            .collect();
        assert_eq!(legs.len(), 2);
        assert!(legs.contains(&("100", "101")) && legs.contains(&("101", "100")));
    }

    #[test]
    fn deadlines_follow_live_calls() {
        let mut tr = CallTracker::new(RING, 10);
        assert_eq!(tr.next_deadline(), None);
        tr.apply(&ev(I, "A", "incoming", None), t(0));
        assert_eq!(tr.next_deadline(), Some(t(120)));
        tr.apply(&ev(A, "A", "incoming", None), t(3));
        assert_eq!(tr.next_deadline(), Some(t(3 + 12 * 3600)));
        let ended = tr.expire(t(3 + 12 * 3600));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].call.state, CallState::Ended(Outcome::Answered));
        assert_eq!(
            ended[0].call.duration, None,
            "a lost CallEnded gives no duration"
        );
        assert_eq!(tr.next_deadline(), None);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut tr = CallTracker::new(RING, 10);
        for i in 0..(MAX_LIVE_CALLS + 50) {
            tr.apply(&ev(I, &format!("L{i}"), "incoming", None), t(i as i64));
        }
        assert_eq!(tr.live().len(), MAX_LIVE_CALLS);
        assert_eq!(tr.dropped(), 50);
        for i in 0..(FINISHED_MEMORY + 100) {
            tr.apply(&ev(E, &format!("F{i}"), "incoming", Some(1)), t(1000));
        }
        assert_eq!(tr.recent().count(), 10);
        assert!(tr.finished.len() <= FINISHED_MEMORY);
        assert_eq!(tr.finished.len(), tr.finished_order.len());
    }

    #[test]
    fn a_revived_call_is_no_longer_counted_missed() {
        let mut tr = CallTracker::new(RING, 10);
        tr.apply(&ev(I, "R", "incoming", None), t(0));
        tr.expire(t(121));
        assert_eq!(tr.unseen_missed(), 1);
        let u = tr.apply(&ev(A, "R", "incoming", None), t(125)).unwrap();
        assert_eq!((u.step, u.call.state), (Step::Answered, CallState::InCall));
        assert_eq!(tr.unseen_missed(), 0);
        assert_eq!(tr.recent().count(), 0);
        assert_eq!(tr.live().len(), 1);
    }

    #[test]
    fn echoed_parameters_per_call_are_capped() {
        let mut tr = CallTracker::new(RING, 10);
        for round in 0..10 {
            let mut e = ev(A, "X", "incoming", None);
            e.extra = (0..30)
                .map(|i| (format!("p{round}_{i}"), "v".to_string()))
                .collect();
            tr.apply(&e, t(round));
        }
        assert_eq!(tr.live()[0].extra.len(), MAX_EXTRA_PER_CALL);
    }

    #[test]
    fn extra_parameters_are_kept() {
        let mut tr = CallTracker::new(RING, 10);
        let mut e = ev(I, "X", "incoming", None);
        e.extra = vec![("ticket".into(), "42".into())];
        let u = tr.apply(&e, t(0)).unwrap();
        assert_eq!(u.call.extra, vec![("ticket".to_string(), "42".to_string())]);
    }
}
