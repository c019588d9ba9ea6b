//! Where calltray keeps its files, following each platform's conventions (directories crate).

use directories::ProjectDirs;
use std::path::PathBuf;

/// The project's folders; `None` only when no home folder can be found.
pub fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "calltray")
}

/// The config file used when `--config` is not given.
pub fn default_config() -> Option<PathBuf> {
    project().map(|p| p.config_dir().join("config.toml"))
}

/// Where calltray's data lives (call history, caches).
pub fn data_dir() -> Option<PathBuf> {
    project().map(|p| p.data_dir().to_path_buf())
}

/// The call history database.
pub fn history() -> Option<PathBuf> {
    data_dir().map(|d| d.join("history.sqlite3"))
}

/// Where state such as logs belongs: the XDG state folder on Linux, local data elsewhere.
pub fn state_dir() -> Option<PathBuf> {
    project().map(|p| {
        p.state_dir()
            .unwrap_or_else(|| p.data_local_dir())
            .to_path_buf()
    })
}

/// The cache of Ubity's extension names.
pub fn extension_names() -> Option<PathBuf> {
    data_dir().map(|d| d.join("extension-names.json"))
}

/// The agent's log file (rotated beside itself: `calltray.log.1` and so on).
pub fn log_file() -> Option<PathBuf> {
    state_dir().map(|d| d.join("calltray.log"))
}

/// Replaces the file at `path` whole or not at all: the bytes go to `<name>.new` beside it,
/// which is then renamed over it, so a reader (or a crash) never sees half a file. The
/// folder is made if need be.
pub fn replace_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut fresh = path.as_os_str().to_os_string();
    fresh.push(".new");
    let replaced = std::fs::write(&fresh, bytes).and_then(|()| std::fs::rename(&fresh, path));
    if replaced.is_err() {
        // Nothing half-done is left beside the file (a folder in its place, a full disk).
        let _ = std::fs::remove_file(&fresh);
    }
    replaced
}
