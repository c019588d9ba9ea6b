//! calltray: Ubity call callbacks in, desktop toasts and a tray icon out.
//!
//! One callback's path through the code, in order:
//! - [`guard`] accepts the connection and holds it, without a thread, until [`framing`] says a
//!   whole request within limits is in; then it passes it on to tiny_http (a GET for another
//!   extension, the bulk of a company-wide feed, it answers itself, by [`listener`]'s rules).
//! - [`listener`] receives the HTTP request (tiny_http), decodes it with [`params`], turns it
//!   into a [`event::CallEvent`], keeps it only if [`config::Config::is_mine`], answers at
//!   once and hands the event over a channel.
//! - [`agent`] owns the [`tracker::CallTracker`], which follows each call from ringing to its
//!   end (pure logic, time passed in).
//! - [`view`] turns each change into what the user sees: a [`view::Toast`] and a
//!   [`view::TrayView`] (pure data, no display needed).
//!   [`flood`] holds back the toasts of a flood of calls and sums them up.
//! - The adapters render that data: [`notifier`] sends toasts (notify-rust) on its own
//!   thread, [`tray`] draws the icon and menu (tray-icon on the tao event loop).
//!
//! What differs between Linux, macOS and Windows is behind [`platform`].
//!
//! Around them: [`config`] reads the user's TOML file (and [`watch`] applies edits to it
//! live), [`paths`] says where files live, [`number`] reads and formats phone numbers, and
//! [`simulate`] plays Ubity's part for a try-out.

pub mod actions;
pub mod agent;
pub mod autostart;
pub mod config;
pub mod contacts;
pub mod crm;
pub mod dial;
pub mod event;
pub mod extensions;
pub mod flood;
pub mod framing;
pub mod guard;
pub mod history;
pub mod instance;
pub mod language;
pub mod listener;
pub mod logfile;
pub mod names;
pub mod notifier;
pub mod number;
pub mod params;
pub mod paths;
pub mod platform;
pub mod quiet;
pub mod secret;
pub mod simulate;
pub mod tracker;
pub mod tray;
pub mod view;
pub mod watch;

/// The application's one id (reverse DNS), used wherever a desktop asks who calltray is: the
/// desktop entry's file name, the AppStream metadata, the notification `desktop-entry` hint,
/// the tray item and the autostart entry.
pub const APP_ID: &str = "io.github.calltray.Calltray";
