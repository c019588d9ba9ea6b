//! Config hot reload: an edit to the config file takes effect without a restart.
//!
//! The folder is watched, not the file: most editors save by writing a new file and renaming
//! it over the old one, which would leave a watch on the file itself pointing at nothing. A
//! burst of events (write, rename, chmod) is let settle for [`SETTLE`] and then read once.
//! A file that does not pass its checks changes nothing: the agent goes on with the last good
//! config and tells the user what is wrong, with the line.

use crate::agent::AgentMsg;
use crate::config::Config;
use crate::language::Language;
use crate::listener::{Listener, ListenerNote};
use crate::tr;
use crate::view;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{RecvTimeoutError, SyncSender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long the file must be quiet before it is read.
const SETTLE: Duration = Duration::from_millis(250);

/// What became of an edit, for the log and the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied in full.
    Applied(String),
    /// Applied, except a new address that could not be bound.
    PartlyApplied(String),
    /// Not applied: the reason names the file, line and key (for the log, and for a toast).
    Rejected { log: String, toast: String },
    /// The file is valid again after a rejected edit, and says what is already in use.
    Restored,
}

/// What changed on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Config,
    Contacts,
}

/// The folder a file lives in, for watching.
fn folder_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Starts watching `path`'s folder, and the folders of the contacts files it names; `running`
/// is the config the agent started with; `moved` hears each new address the listener takes.
/// The watcher stops when the returned value is dropped.
pub fn spawn(
    path: PathBuf,
    running: Arc<Config>,
    listener: Arc<Listener>,
    agent: SyncSender<AgentMsg>,
    moved: impl Fn(std::net::SocketAddr) + Send + 'static,
) -> notify::Result<Arc<Mutex<RecommendedWatcher>>> {
    let (tx, rx) = channel::<Change>();
    // A config kept elsewhere and linked here (a dotfiles folder) is edited where it lives:
    // that folder is watched too, and its name counts as the config's.
    let target = std::fs::canonicalize(&path).ok().filter(|t| *t != path);
    let names: Vec<std::ffi::OsString> = [Some(&path), target.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|p| p.file_name().map(|n| n.to_os_string()))
        .collect();
    let contacts = Arc::new(Mutex::new(running.contacts.clone()));
    let contacts_seen = Arc::clone(&contacts);
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let change = match &event {
            // Reading the file (as calltray itself does) is no edit; closing it after
            // writing is the end of one.
            Ok(e)
                if e.kind.is_access()
                    && e.kind != EventKind::Access(AccessKind::Close(AccessMode::Write)) =>
            {
                None
            }
            Ok(e)
                if e.paths
                    .iter()
                    .any(|p| p.file_name().is_some_and(|n| names.iter().any(|m| m == n))) =>
            {
                Some(Change::Config)
            }
            Ok(e) => {
                let files = contacts_seen.lock().unwrap_or_else(PoisonError::into_inner);
                e.paths
                    .iter()
                    .any(|p| files.contains(p))
                    .then_some(Change::Contacts)
            }
            // An overflowed event queue may hide an edit: read the file to be sure.
            Err(_) => Some(Change::Config),
        };
        if let Some(change) = change {
            let _ = tx.send(change);
        }
    })?;
    let watcher = Arc::new(Mutex::new(watcher));
    lock(&watcher).watch(&folder_of(&path), RecursiveMode::NonRecursive)?;
    if let Some(target) = &target
        && folder_of(target) != folder_of(&path)
        && let Err(e) = lock(&watcher).watch(&folder_of(target), RecursiveMode::NonRecursive)
    {
        tracing::warn!(
            "edits to {} will need a restart: cannot watch its folder: {e}",
            target.display()
        );
    }
    let mut state = Watched {
        path,
        last_read: None,
        applied: running,
        address_pending: false,
        rejected: false,
        contacts,
        watcher: Arc::clone(&watcher),
        folders: Vec::new(),
        moved: Box::new(moved),
    };
    state.watch_contacts();
    std::thread::Builder::new()
        .name("config-watch".into())
        .spawn(move || {
            // An edit saved between start-up and the watch being set is not lost.
            state.check(&listener, &agent);
            while let Ok(first) = rx.recv() {
                // Let a burst of events settle.
                let mut changes = vec![first];
                loop {
                    match rx.recv_timeout(SETTLE) {
                        Ok(change) => changes.push(change),
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                if changes.contains(&Change::Config) {
                    state.check(&listener, &agent);
                }
                if changes.contains(&Change::Contacts) {
                    state.reread_contacts(&agent);
                }
            }
        })
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(watcher)
}

fn lock(watcher: &Mutex<RecommendedWatcher>) -> std::sync::MutexGuard<'_, RecommendedWatcher> {
    watcher.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Watched {
    path: PathBuf,
    /// The bytes last read, so that a save without changes is not read twice.
    last_read: Option<Vec<u8>>,
    /// The config in effect.
    applied: Arc<Config>,
    /// Its address could not be bound: saving the file again tries again.
    address_pending: bool,
    /// The last edit was refused: the user has been told the file is wrong.
    rejected: bool,
    /// The contacts files of the config in effect, which the watcher's callback matches.
    contacts: Arc<Mutex<Vec<PathBuf>>>,
    watcher: Arc<Mutex<RecommendedWatcher>>,
    /// Folders watched for contacts files.
    folders: Vec<PathBuf>,
    /// Told each new address (the one-instance lock keeps it for a second start to report).
    moved: Box<dyn Fn(std::net::SocketAddr) + Send>,
}

impl Watched {
    /// Watches the folders of the config's contacts files that are not watched yet.
    fn watch_contacts(&mut self) {
        let files = self.applied.contacts.clone();
        for file in &files {
            let folder = folder_of(file);
            if self.folders.contains(&folder) {
                continue;
            }
            match lock(&self.watcher).watch(&folder, RecursiveMode::NonRecursive) {
                Ok(()) => self.folders.push(folder),
                Err(e) => tracing::warn!(
                    "edits to {} will need a config save to be read: {e}",
                    file.display()
                ),
            }
        }
        *self.contacts.lock().unwrap_or_else(PoisonError::into_inner) = files;
    }

    /// A contacts file changed: the names are read again, and nothing else changes.
    fn reread_contacts(&self, agent: &SyncSender<AgentMsg>) {
        let names = crate::names::load(&self.applied, crate::paths::extension_names().as_deref());
        tracing::info!("contacts read again");
        let _ = agent.send(AgentMsg::Names(Box::new(names)));
    }

    fn check(&mut self, listener: &Listener, agent: &SyncSender<AgentMsg>) {
        let bytes = match crate::config::read_capped(&self.path) {
            Ok(bytes) => bytes,
            // Too large to read: `Config::load` below says so; nothing of it is kept.
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Vec::new(),
            // Mid-rename, or removed: the next event brings the new file.
            Err(_) => return,
        };
        if self.last_read.as_deref() == Some(bytes.as_slice()) {
            return;
        }
        // The language to answer in: the new file's, even when it has a mistake elsewhere.
        let lang = std::str::from_utf8(&bytes)
            .ok()
            .and_then(crate::config::language_hint)
            .unwrap_or(self.applied.language);
        self.last_read = Some(bytes);
        let (outcome, lang) = match Config::load(&self.path) {
            // The mistake was undone: nothing to apply, but the user waits to hear it is fixed.
            Ok(config) if config == *self.applied && !self.address_pending && self.rejected => {
                self.rejected = false;
                (Outcome::Restored, config.language)
            }
            // Comments and spacing only: nothing to apply or to say.
            Ok(config) if config == *self.applied && !self.address_pending => return,
            Ok(config) => {
                self.rejected = false;
                let config = Arc::new(config);
                let outcome = apply(&config, listener, agent, &self.moved);
                self.address_pending = matches!(outcome, Outcome::PartlyApplied(_));
                if self.address_pending {
                    // Saving the same file again (once the port is free) tries again.
                    self.last_read = None;
                }
                let lang = config.language;
                self.applied = config;
                self.watch_contacts();
                (outcome, lang)
            }
            Err(e) => {
                self.rejected = true;
                let outcome = Outcome::Rejected {
                    log: e.to_string(),
                    toast: e.line_first(lang),
                };
                (outcome, lang)
            }
        };
        report(&outcome, lang, agent);
    }
}

/// Applies a config that passed its checks to the listener and the core loop.
fn apply(
    config: &Arc<Config>,
    listener: &Listener,
    agent: &SyncSender<AgentMsg>,
    moved: &dyn Fn(std::net::SocketAddr),
) -> Outcome {
    let before = listener.address();
    let rebind = listener.reconfigure(Arc::clone(config));
    let names = crate::names::load(config, crate::paths::extension_names().as_deref());
    let _ = agent.send(AgentMsg::Reload(Arc::clone(config), Box::new(names)));
    crate::language::set_current(config.language);
    let lang = config.language;
    let extensions = config.extensions.join(", ");
    match rebind {
        Ok(address) => {
            if address != before {
                moved(address);
                let _ = agent.send(AgentMsg::Listener(ListenerNote::Up(address)));
            }
            Outcome::Applied(tr!(
                lang,
                "settings-listening",
                address = address.to_string(),
                count = config.extensions.len(),
                extensions = extensions
            ))
        }
        Err(e) => Outcome::PartlyApplied(tr!(
            lang,
            "settings-still-listening",
            error = e.to_string(),
            address = before.to_string()
        )),
    }
}

fn report(outcome: &Outcome, lang: Language, agent: &SyncSender<AgentMsg>) {
    let toast = match outcome {
        Outcome::Applied(what) => {
            tracing::info!("config reloaded: {what}");
            view::notice("config", &tr!(lang, "settings-applied"), what)
        }
        Outcome::PartlyApplied(what) => {
            tracing::warn!("config reloaded, but {what}");
            view::notice("config", &tr!(lang, "settings-applied-not-address"), what)
        }
        Outcome::Restored => {
            tracing::info!("config fixed: it matches the settings already in use");
            view::notice_ok(
                "config",
                &tr!(lang, "settings-fixed"),
                &tr!(lang, "settings-fixed-body"),
            )
        }
        Outcome::Rejected { log, toast } => {
            tracing::warn!("config not applied, keeping the previous settings: {log}");
            view::notice(
                "config",
                &tr!(lang, "settings-not-applied"),
                &format!("{toast}\n{}", tr!(lang, "settings-previous-stay")),
            )
        }
    };
    let _ = agent.send(AgentMsg::Tell(Box::new(toast)));
}
