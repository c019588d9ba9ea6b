//! Toasts on the desktop, through the freedesktop notification service (notify-rust).
//!
//! Runs on its own thread: a D-Bus round trip, or a notification service that hangs, must
//! never hold up the listener or the tray. Each call keeps one toast, updated in place
//! (`replaces_id`) as it moves from ringing to its end. When no service answers, that is
//! logged once and the agent carries on; the next toast tries again.

use crate::tracker::CallKey;
use crate::view::{Toast, ToastContent};
use notify_rust::{Hint, Notification, NotificationHandle, Timeout};
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};

/// The application name the notification service shows.
pub const APP_NAME: &str = "calltray";
/// More toasts than this kept open at once means calls are ending without us hearing:
/// forget them rather than grow.
const MAX_OPEN: usize = 512;

/// Starts the notifier thread; toasts sent to the returned channel are shown in order.
pub fn spawn() -> std::io::Result<Sender<Toast>> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("notifier".into())
        .spawn(move || Notifier::default().run(rx))?;
    Ok(tx)
}

#[derive(Default)]
struct Notifier {
    open: HashMap<CallKey, (NotificationHandle, bool)>,
    failing: bool,
}

impl Notifier {
    fn run(mut self, rx: Receiver<Toast>) {
        while let Ok(toast) = rx.recv() {
            self.show(toast);
        }
    }

    fn show(&mut self, toast: Toast) {
        let Some(content) = toast.content else {
            // Not announced: withdraw a toast that would otherwise stay up forever.
            if let Some((handle, true)) = self.open.remove(&toast.key) {
                handle.close();
            }
            return;
        };
        let result = match self.open.remove(&toast.key) {
            Some((mut handle, _)) => {
                fill(&mut handle, &content);
                match handle.update() {
                    Ok(()) => Ok(handle),
                    // The service may have restarted: show it afresh.
                    Err(_) => new_toast(&content).show(),
                }
            }
            None => new_toast(&content).show(),
        };
        match result {
            Ok(handle) => {
                if self.failing {
                    tracing::info!("the notification service answers again");
                    self.failing = false;
                }
                if !toast.last {
                    if self.open.len() >= MAX_OPEN {
                        self.open.clear();
                    }
                    self.open.insert(toast.key, (handle, content.sticky));
                }
            }
            Err(e) => {
                if !self.failing {
                    tracing::warn!(
                        "no notification shown: {e}. Is a notification service running? \
                         calltray keeps tracking calls and will try again on the next one."
                    );
                    self.failing = true;
                }
            }
        }
    }
}

fn new_toast(content: &ToastContent) -> Notification {
    let mut n = Notification::new();
    n.appname(APP_NAME)
        .hint(Hint::DesktopEntry(APP_NAME.into()));
    fill(&mut n, content);
    n
}

fn fill(n: &mut Notification, content: &ToastContent) {
    n.summary(&content.summary)
        .body(&content.body)
        .icon(content.icon)
        .timeout(if content.sticky {
            Timeout::Never
        } else {
            Timeout::Default
        });
}
