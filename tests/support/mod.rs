//! Integration-test harness: runs a program inside a private, throwaway desktop session
//! (its own `dbus-daemon` and `Xvfb`), with a fake notification server and a fake
//! StatusNotifierWatcher served from the test process over real D-Bus.
//!
//! Typical use:
//!
//! ```ignore
//! mod support;
//! use support::*;
//!
//! let session = Session::start();
//! let notifications = NotificationServer::start(&session);
//! let watcher = StatusNotifierWatcher::start(&session);
//! let app = session.spawn("calltray", session.command(env!("CARGO_BIN_EXE_calltray")));
//! let item = watcher.wait_for_item(DEFAULT_TIMEOUT).expect("tray item registered");
//! let tray = TrayClient::new(&session);
//! let menu = tray.wait_for_menu(&item, |m| m.find_label("Quit").is_some(), DEFAULT_TIMEOUT)
//!     .expect("menu with Quit");
//! ```
//!
//! Every wait has a deadline and, when it passes, fails with a [`WaitError`] that shows what was
//! observed. Missing system tools make [`Session::start`] panic (tests fail, never skip).

// Not every test binary uses every helper.
#![allow(dead_code)]

pub mod agent;
pub mod notifications;
pub mod opener;
pub mod session;
pub mod tray;

// Re-exports for convenience; not every test binary uses all of them.
#[allow(unused_imports)]
pub use agent::{Agent, IN_A, TEST_CONFIG, start_headless};
#[allow(unused_imports)]
pub use notifications::{HintValue, Notification, NotificationServer};
#[allow(unused_imports)]
pub use opener::{opened, opener};
#[allow(unused_imports)]
pub use session::{Process, Session};
#[allow(unused_imports)]
pub use tray::{
    ItemProperties, MenuNode, StatusNotifierWatcher, TrayClient, TrayItem, strip_mnemonic,
};

use std::fmt;
use std::time::Duration;

/// A generous default deadline for anything the program under test has to do.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A wait that passed its deadline, with a description of what was observed meanwhile.
///
/// `Debug` prints the message as plain text so that `.expect("...")` shows it readably.
pub struct WaitError {
    pub message: String,
}

impl WaitError {
    pub fn new(message: impl Into<String>) -> Self {
        WaitError {
            message: message.into(),
        }
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WaitError {}
