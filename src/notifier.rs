//! Toasts on the desktop, through the system's notification service (notify-rust: the
//! freedesktop service on Linux, the Notification Center on macOS, toasts on Windows).
//!
//! Runs on its own thread: a D-Bus round trip, or a notification service that hangs, must
//! never hold up the listener or the tray. Each call keeps one toast, updated in place
//! (`replaces_id`) as it moves from ringing to its end, where the platform can (Linux; on
//! macOS and Windows each state is a new toast, see [`crate::platform::update_toast`]). When
//! toasts come faster than the service shows them, only the newest state of each call is
//! sent. When no service answers, that is logged once and the agent carries on; the next
//! toast tries again.

use crate::actions::Registry;
use crate::platform::{self, ShownToast};
use crate::tracker::CallKey;
use crate::view::{Toast, ToastContent};
use notify_rust::{Notification, Timeout};
use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{Receiver, Sender, channel};

/// The application name the notification service shows, and the desktop entry it belongs to.
pub const APP_NAME: &str = "calltray";
/// Toasts of live calls followed at once; more means calls end without us hearing.
const MAX_OPEN: usize = 512;
/// Sticky toasts of finished calls (missed calls) still followed, so a late correction
/// replaces them and Quit can withdraw them.
const MAX_STICKY_FINISHED: usize = 32;

/// What the notifier thread is asked to do.
#[derive(Debug)]
pub enum NotifierMsg {
    Show(Toast),
    /// Withdraw every toast that would stay on screen forever (calltray is quitting), then
    /// answer on the channel.
    CloseSticky(Sender<()>),
}

/// Starts the notifier thread; toasts sent to the returned channel are shown in order. The
/// buttons of toasts that have some are listened for through `buttons`, when given.
pub fn spawn(buttons: Option<Registry>) -> std::io::Result<Sender<NotifierMsg>> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("notifier".into())
        .spawn(move || {
            Notifier {
                buttons,
                ..Notifier::default()
            }
            .run(rx)
        })?;
    Ok(tx)
}

#[derive(Default)]
struct Notifier {
    buttons: Option<Registry>,
    /// The toast on screen for each call, and whether it is sticky.
    open: HashMap<CallKey, (ShownToast, bool)>,
    /// Finished calls whose sticky toast is still in `open`, oldest first.
    sticky_finished: VecDeque<CallKey>,
    failing: bool,
}

impl Notifier {
    fn run(mut self, rx: Receiver<NotifierMsg>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            batch.extend(rx.try_iter());
            for msg in coalesce(batch) {
                match msg {
                    NotifierMsg::Show(toast) => self.show(toast),
                    NotifierMsg::CloseSticky(done) => {
                        self.close_sticky();
                        let _ = done.send(());
                    }
                }
            }
        }
    }

    fn show(&mut self, toast: Toast) {
        let previous = self.open.remove(&toast.key);
        let Some(content) = toast.content else {
            // Not announced: withdraw a toast that would otherwise stay up forever.
            if let Some((handle, true)) = previous {
                platform::close_toast(handle);
            }
            return;
        };
        let result = match previous {
            Some((mut handle, _)) => {
                if platform::update_toast(&mut handle, |n| fill(n, &content)) {
                    Ok(handle)
                } else {
                    // The service may have restarted (or cannot change a toast): show it afresh.
                    platform::show_toast(&new_toast(&content))
                }
            }
            None => platform::show_toast(&new_toast(&content)),
        };
        let handle = match result {
            Ok(handle) => handle,
            Err(e) => {
                if !self.failing {
                    tracing::warn!(
                        "no notification shown: {e}. Is a notification service running? \
                         calltray keeps tracking calls and will try again on the next one."
                    );
                    self.failing = true;
                }
                return;
            }
        };
        if self.failing {
            tracing::info!("the notification service answers again");
            self.failing = false;
        }
        if let (Some(buttons), false, Some(id)) = (
            &self.buttons,
            content.actions.is_empty(),
            platform::toast_id(&handle),
        ) {
            buttons.watch(id, toast.key.clone());
        }
        if toast.last && !content.sticky {
            return;
        }
        if self.open.len() >= MAX_OPEN {
            self.open.clear();
            self.sticky_finished.clear();
        }
        if toast.last {
            self.sticky_finished.push_back(toast.key.clone());
            if self.sticky_finished.len() > MAX_STICKY_FINISHED
                && let Some(old) = self.sticky_finished.pop_front()
            {
                self.open.remove(&old);
            }
        }
        self.open.insert(toast.key, (handle, content.sticky));
    }

    fn close_sticky(&mut self) {
        for (_, (handle, sticky)) in self.open.drain() {
            if sticky {
                platform::close_toast(handle);
            }
        }
        self.sticky_finished.clear();
    }
}

/// Keeps only the newest toast of each call from a backlog, in the order of those newest
/// ones; anything else keeps its place.
fn coalesce(batch: Vec<NotifierMsg>) -> Vec<NotifierMsg> {
    let mut out: Vec<NotifierMsg> = Vec::with_capacity(batch.len());
    for msg in batch {
        if let NotifierMsg::Show(toast) = &msg {
            out.retain(|m| !matches!(m, NotifierMsg::Show(t) if t.key == toast.key));
        }
        out.push(msg);
    }
    out
}

fn new_toast(content: &ToastContent) -> Notification {
    let mut n = Notification::new();
    n.appname(APP_NAME);
    platform::identify_toast(&mut n);
    fill(&mut n, content);
    n
}

fn fill(n: &mut Notification, content: &ToastContent) {
    // An updated toast has the buttons of its new state only.
    n.actions.clear();
    if platform::TOAST_BUTTONS {
        for (action, label) in &content.actions {
            n.action(action.key(), label);
        }
    }
    n.summary(&content.summary)
        .body(&content.body)
        .icon(content.icon)
        .timeout(if content.sticky {
            Timeout::Never
        } else {
            Timeout::Default
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Direction;

    fn toast(callid: &str, summary: &str) -> NotifierMsg {
        NotifierMsg::Show(Toast {
            key: CallKey {
                callid: callid.into(),
                direction: Direction::Incoming,
            },
            content: Some(ToastContent {
                summary: summary.into(),
                body: String::new(),
                sticky: false,
                icon: "call-start",
                actions: Vec::new(),
            }),
            last: false,
        })
    }

    fn summaries(msgs: &[NotifierMsg]) -> Vec<String> {
        msgs.iter()
            .map(|m| match m {
                NotifierMsg::Show(t) => format!(
                    "{}:{}",
                    t.key.callid,
                    t.content
                        .as_ref()
                        .map(|c| c.summary.as_str())
                        .unwrap_or("-")
                ),
                NotifierMsg::CloseSticky(_) => "close".into(),
            })
            .collect()
    }

    #[test]
    fn a_backlog_keeps_the_newest_state_of_each_call() {
        let (tx, _rx) = channel();
        let batch = vec![
            toast("A", "Incoming call"),
            toast("B", "Incoming call"),
            toast("A", "Call answered"),
            toast("A", "Call ended"),
            NotifierMsg::CloseSticky(tx),
        ];
        assert_eq!(
            summaries(&coalesce(batch)),
            ["B:Incoming call", "A:Call ended", "close"]
        );
    }
}
