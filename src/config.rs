//! The user's settings: a TOML file they edit by hand.
//!
//! A person edits this file, so every mistake is reported the way they would look for it:
//! the file, the line, the key, and what would be right. Nothing in it can make calltray panic.

use crate::event::{MAX_PARTY_LEN, is_forbidden_in_id, is_markup};
use crate::language::{self, Language};
use crate::number;
use crate::quiet::QuietHours;
use crate::tr;
use ipnet::IpNet;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::de::{DeTable, DeValue};

/// The commented file written on first run; also what the defaults below must agree with.
pub const DEFAULT_FILE: &str = include_str!("default-config.toml");

/// The shortest secret accepted: 22 characters of the 64 allowed carry 128 bits when they
/// are random (`calltray secret new` makes 32 hex digits, also 128 bits).
pub const MIN_SECRET_LEN: usize = 22;

/// Validated settings, ready for the rest of the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The user's extensions, in their comparable form (see [`number::normalize`]).
    pub extensions: Vec<String>,
    pub ring_timeout: Duration,
    pub listen: Listen,
    pub notify: NotifyPrefs,
    pub history: Retention,
    pub crm: Crm,
    /// When toasts stay quiet (see [`crate::quiet`]).
    pub quiet_hours: QuietHours,
    /// Ubity's API, for "Call back"; `None` without an API key.
    pub ubity: Option<crate::dial::Api>,
    /// The language of toasts, the tray and messages: the config's `language`, or the
    /// desktop session's when it says "auto".
    pub language: Language,
    /// Where numbers without a country code are from (`CA`): how they are read and shown.
    pub region: rlibphonenumber::Region,
    /// Contacts files (`.csv`, `.vcf`) to take callers' names from, `~` expanded.
    pub contacts: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawUbity {
    api_key: String,
    api_url: String,
}

impl Default for RawUbity {
    fn default() -> Self {
        RawUbity {
            api_key: String::new(),
            api_url: "https://api.ubity.com".into(),
        }
    }
}

/// Screen pop: which page of the user's CRM opens on a call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Crm {
    /// A URL template with placeholders (see [`crate::crm`]); empty: no screen pop.
    pub url: String,
    pub open_on: OpenOn,
}

impl Default for Crm {
    fn default() -> Self {
        Crm {
            url: String::new(),
            open_on: OpenOn::Ringing,
        }
    }
}

/// When the CRM page opens for an incoming call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpenOn {
    Ringing,
    Answered,
    Never,
}

/// How long and how much call history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    pub keep_days: u32,
    pub keep_calls: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_days: 90,
            keep_calls: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub address: SocketAddr,
    pub secret: Option<String>,
    pub initiated_path: String,
    pub answered_path: String,
    pub ended_path: String,
    /// Only clients in these ranges may send anything; empty: everyone.
    pub allow_from: Vec<IpNet>,
    /// Peers whose client-address headers (a tunnel's) are believed.
    pub trusted_proxies: Vec<IpNet>,
}

impl Listen {
    /// The path prefix under which the callback paths live: `/<secret>` or nothing.
    pub fn prefix(&self) -> String {
        self.secret
            .as_ref()
            .map(|s| format!("/{s}"))
            .unwrap_or_default()
    }
}

/// Which moments of a call raise a toast, and how many new calls may have one of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyPrefs {
    pub incoming_ringing: bool,
    pub incoming_answered: bool,
    pub incoming_ended: bool,
    pub missed: bool,
    pub outgoing_ringing: bool,
    pub outgoing_answered: bool,
    pub outgoing_ended: bool,
    /// New calls that get a toast of their own in any [`crate::flood::WINDOW`]; the others
    /// are summed up in one toast.
    pub max_new_toasts: usize,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        NotifyPrefs {
            incoming_ringing: true,
            incoming_answered: true,
            incoming_ended: true,
            missed: true,
            outgoing_ringing: false,
            outgoing_answered: false,
            outgoing_ended: true,
            max_new_toasts: crate::flood::MAX_NEW_TOASTS,
        }
    }
}

/// The range of `[notify] max_new_toasts`: at least one toast, and few enough that a flood
/// still ends in a summary rather than thousands of toasts.
pub const MAX_NEW_TOASTS_RANGE: std::ops::RangeInclusive<usize> = 1..=10_000;

/// The file as written, before the values are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    extensions: Vec<String>,
    #[serde(default = "default_ring_timeout")]
    ring_timeout: u64,
    #[serde(default)]
    listen: RawListen,
    #[serde(default)]
    notify: NotifyPrefs,
    #[serde(default)]
    history: Retention,
    #[serde(default)]
    crm: Crm,
    #[serde(default)]
    quiet_hours: Vec<String>,
    #[serde(default)]
    ubity: RawUbity,
    #[serde(default = "default_language")]
    language: String,
    #[serde(default = "default_region")]
    region: String,
    #[serde(default = "default_log_level")]
    log_level: String,
    #[serde(default)]
    contacts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawListen {
    address: String,
    secret: String,
    initiated_path: String,
    answered_path: String,
    ended_path: String,
    allow_from: Vec<String>,
    trusted_proxies: Vec<String>,
}

impl Default for RawListen {
    fn default() -> Self {
        RawListen {
            address: "127.0.0.1:8765".into(),
            secret: String::new(),
            initiated_path: "/init".into(),
            answered_path: "/answered".into(),
            ended_path: "/ended".into(),
            allow_from: Vec::new(),
            trusted_proxies: vec!["127.0.0.0/8".into(), "::1/128".into()],
        }
    }
}

fn default_ring_timeout() -> u64 {
    120
}

fn default_log_level() -> String {
    "info".into()
}

fn default_region() -> String {
    "CA".into()
}

fn default_language() -> String {
    "auto".into()
}

/// `~/x` is `x` in the home folder, as a shell would read it; other paths are kept.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(path),
    }
}

/// The language a config file asks for, read leniently: a file with mistakes elsewhere still
/// says in which language to report them. `None` for "auto", a missing key or an unreadable file.
pub fn language_hint(text: &str) -> Option<Language> {
    let table: toml::Table = toml::from_str(text).ok()?;
    parse_language(table.get("language")?.as_str()?)
        .ok()
        .flatten()
}

/// The log level a config file asks for (`log_level`), read leniently before logging starts.
pub fn log_level_hint(text: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let level = table
        .get("log_level")?
        .as_str()?
        .trim()
        .to_ascii_lowercase();
    LOG_LEVELS.contains(&level.as_str()).then_some(level)
}

/// The levels `log_level` may name, quietest first.
pub const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// `"en"` or `"fr"` (also `"english"`, `"français"`…); `None` for `"auto"`.
fn parse_language(value: &str) -> Result<Option<Language>, ()> {
    match value.trim().to_lowercase().as_str() {
        "auto" | "" => Ok(None),
        "en" | "english" | "anglais" => Ok(Some(Language::English)),
        "fr" | "french" | "français" | "francais" => Ok(Some(Language::French)),
        _ => Err(()),
    }
}

/// A config problem, located for the person who will fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lang = language::current();
        let mut place = self.file.display().to_string();
        if let Some(line) = self.line {
            place.push_str(", ");
            place.push_str(&tr!(lang, "config-line", line = line));
        }
        if let Some(key) = &self.key {
            place.push_str(", ");
            place.push_str(&tr!(lang, "config-key", key = key));
        }
        let text = tr!(lang, "config-error", place = place, message = &self.message);
        f.write_str(&text)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// The error with the line and key first and the file last, for a toast, where the end of
    /// a long text may be cut off by the notification service.
    pub fn line_first(&self, lang: Language) -> String {
        let file = self.file.display().to_string();
        let place = match (self.line, &self.key) {
            (Some(line), Some(key)) => format!(
                "{}, {}",
                tr!(lang, "config-line-capital", line = line),
                tr!(lang, "config-key", key = key)
            ),
            (Some(line), None) => tr!(lang, "config-line-capital", line = line),
            (None, Some(key)) => tr!(lang, "config-key-capital", key = key),
            (None, None) => {
                return tr!(
                    lang,
                    "config-error-no-place",
                    message = &self.message,
                    file = file
                );
            }
        };
        tr!(
            lang,
            "config-error-line-first",
            place = place,
            message = &self.message,
            file = file
        )
    }
}

impl Config {
    /// Parses and checks the text of a config file; `file` only names it in errors. The errors
    /// are in the language the file asks for, else in [`language::current`].
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        Config::parse_in(text, file, language::current())
    }

    /// [`Config::parse`], with errors in `fallback` when the file names no language.
    fn parse_in(text: &str, file: &Path, fallback: Language) -> Result<Config, ConfigError> {
        let lang = language_hint(text).unwrap_or(fallback);
        let locate = |key: Option<&str>, offset: Option<usize>, message: String| {
            let found = match (key, offset) {
                (Some(k), _) => find_key(text, k).map(|line| (k.to_string(), line)),
                (None, Some(o)) => key_at(text, o),
                (None, None) => None,
            };
            ConfigError {
                file: file.to_path_buf(),
                line: found
                    .as_ref()
                    .map(|(_, l)| *l)
                    .or_else(|| offset.map(|o| line_of(text, o))),
                key: found.map(|(k, _)| k).or(key.map(str::to_string)),
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start);
            locate(None, offset, toml_words(e.message().trim(), lang))
        })?;

        let mut extensions = Vec::new();
        for ext in &raw.extensions {
            let n = number::normalize(ext);
            let shown = ext.escape_debug().to_string();
            let problem = if n.is_empty() {
                Some(tr!(lang, "config-extension-empty", extension = shown))
            } else if n.chars().count() > MAX_PARTY_LEN {
                Some(tr!(
                    lang,
                    "config-extension-too-long",
                    extension = shown,
                    max = MAX_PARTY_LEN
                ))
            } else if n.chars().any(|c| is_forbidden_in_id(c) || is_markup(c)) {
                Some(tr!(
                    lang,
                    "config-extension-bad-characters",
                    extension = shown
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(locate(
                    Some("extensions"),
                    None,
                    tr!(lang, "config-extension-problem", problem = problem),
                ));
            }
            if !extensions.contains(&n) {
                extensions.push(n);
            }
        }
        if extensions.is_empty() {
            return Err(locate(
                Some("extensions"),
                None,
                tr!(lang, "config-extensions-none"),
            ));
        }

        if !(5..=3600).contains(&raw.ring_timeout) {
            return Err(locate(
                Some("ring_timeout"),
                None,
                tr!(
                    lang,
                    "config-ring-timeout-range",
                    value = raw.ring_timeout.to_string()
                ),
            ));
        }

        if !(1..=3650).contains(&raw.history.keep_days) {
            return Err(locate(
                Some("history.keep_days"),
                None,
                tr!(
                    lang,
                    "config-keep-days-range",
                    value = raw.history.keep_days.to_string()
                ),
            ));
        }
        if !(1..=10_000_000).contains(&raw.history.keep_calls) {
            return Err(locate(
                Some("history.keep_calls"),
                None,
                tr!(
                    lang,
                    "config-keep-calls-range",
                    value = raw.history.keep_calls.to_string()
                ),
            ));
        }

        if !MAX_NEW_TOASTS_RANGE.contains(&raw.notify.max_new_toasts) {
            return Err(locate(
                Some("notify.max_new_toasts"),
                None,
                tr!(
                    lang,
                    "config-max-new-toasts-range",
                    value = raw.notify.max_new_toasts.to_string()
                ),
            ));
        }

        let quiet_hours = QuietHours::parse(&raw.quiet_hours, lang)
            .map_err(|why| locate(Some("quiet_hours"), None, why))?;

        let api_key = raw.ubity.api_key.trim().to_string();
        // The key itself is never quoted in a message: it is a password.
        if !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(locate(
                Some("ubity.api_key"),
                None,
                tr!(lang, "config-api-key-characters"),
            ));
        }
        let api_url = raw.ubity.api_url.trim().trim_end_matches('/').to_string();
        let lower = api_url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://"))
            || api_url.contains(char::is_whitespace)
            || api_url.contains(['?', '#'])
        {
            return Err(locate(
                Some("ubity.api_url"),
                None,
                tr!(lang, "config-api-url"),
            ));
        }
        // The API key travels in the request: in clear only to this computer (a stand-in).
        let plain_host = lower.strip_prefix("http://").map(|rest| {
            let authority = rest.split('/').next().unwrap_or_default();
            let host_port = authority.rsplit('@').next().unwrap_or_default();
            match host_port.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default().to_string(),
                None => host_port.split(':').next().unwrap_or_default().to_string(),
            }
        });
        if let Some(host) = plain_host
            && host != "localhost"
            && !host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
        {
            return Err(locate(
                Some("ubity.api_url"),
                None,
                tr!(lang, "config-api-url-plain"),
            ));
        }
        let ubity = (!api_key.is_empty()).then_some(crate::dial::Api {
            base: api_url,
            key: api_key,
        });

        let crm_url = raw.crm.url.trim().to_string();
        if !crm_url.is_empty() {
            crate::crm::check_template(&crm_url, lang)
                .map_err(|why| locate(Some("crm.url"), None, why))?;
        }

        let address: SocketAddr = raw.listen.address.trim().parse().map_err(|_| {
            locate(
                Some("listen.address"),
                None,
                tr!(
                    lang,
                    "config-listen-address",
                    value = raw.listen.address.escape_debug().to_string()
                ),
            )
        })?;

        let secret = raw.listen.secret.trim().to_string();
        if !secret.is_empty() {
            if !secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(locate(
                    Some("listen.secret"),
                    None,
                    tr!(lang, "config-secret-characters"),
                ));
            }
            if secret.len() < MIN_SECRET_LEN {
                return Err(locate(
                    Some("listen.secret"),
                    None,
                    tr!(lang, "config-secret-short", min = MIN_SECRET_LEN),
                ));
            }
        }
        if secret.is_empty() && !address.ip().is_loopback() {
            return Err(locate(
                Some("listen.address"),
                None,
                tr!(lang, "config-secret-needed", address = address.to_string()),
            ));
        }

        let mut paths: Vec<(&str, String)> = Vec::new();
        for (key, value) in [
            ("listen.initiated_path", &raw.listen.initiated_path),
            ("listen.answered_path", &raw.listen.answered_path),
            ("listen.ended_path", &raw.listen.ended_path),
        ] {
            let path = value.trim().to_string();
            let valid = path.len() > 1
                && path.starts_with('/')
                && !path.contains("//")
                && !path.split('/').any(|seg| seg == "." || seg == "..")
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'));
            if !valid {
                return Err(locate(
                    Some(key),
                    None,
                    tr!(
                        lang,
                        "config-path-invalid",
                        value = value.escape_debug().to_string()
                    ),
                ));
            }
            if path == "/health" {
                return Err(locate(Some(key), None, tr!(lang, "config-path-health")));
            }
            if let Some((other, _)) = paths.iter().find(|(_, p)| *p == path) {
                return Err(locate(
                    Some(key),
                    None,
                    tr!(lang, "config-path-taken", path = &path, other = *other),
                ));
            }
            paths.push((key, path));
        }
        let [initiated_path, answered_path, ended_path] = [0, 1, 2].map(|i| paths[i].1.clone());

        let ranges = |key: &str, values: &[String]| -> Result<Vec<IpNet>, ConfigError> {
            values
                .iter()
                .map(|v| {
                    let v = v.trim();
                    v.parse::<IpNet>()
                        .or_else(|_| v.parse::<std::net::IpAddr>().map(IpNet::from))
                        .map(|net| net.trunc())
                        .map_err(|_| {
                            locate(
                                Some(key),
                                None,
                                tr!(
                                    lang,
                                    "config-address-range",
                                    value = v.escape_debug().to_string()
                                ),
                            )
                        })
                })
                .collect()
        };
        let allow_from = ranges("listen.allow_from", &raw.listen.allow_from)?;
        let trusted_proxies = ranges("listen.trusted_proxies", &raw.listen.trusted_proxies)?;

        let language = parse_language(&raw.language)
            .map_err(|()| {
                locate(
                    Some("language"),
                    None,
                    tr!(
                        lang,
                        "config-language",
                        value = raw.language.escape_debug().to_string()
                    ),
                )
            })?
            .unwrap_or_else(Language::from_system);

        let region = number::region(&raw.region).ok_or_else(|| {
            locate(
                Some("region"),
                None,
                tr!(
                    lang,
                    "config-region",
                    value = raw.region.escape_debug().to_string()
                ),
            )
        })?;
        if !LOG_LEVELS.contains(&raw.log_level.trim().to_ascii_lowercase().as_str()) {
            return Err(locate(
                Some("log_level"),
                None,
                tr!(
                    lang,
                    "config-log-level",
                    value = raw.log_level.escape_debug().to_string()
                ),
            ));
        }
        let mut contacts = Vec::new();
        for entry in &raw.contacts {
            let mut path = expand_home(entry.trim());
            // A bare file name is beside the config file, wherever calltray was started.
            if path.is_relative()
                && let Some(folder) = file.parent()
            {
                path = folder.join(path);
            }
            let kind = crate::names::Kind::of(&path);
            if entry.trim().is_empty() || kind.is_none() {
                return Err(locate(
                    Some("contacts"),
                    None,
                    tr!(
                        lang,
                        "config-contacts-file",
                        value = entry.escape_debug().to_string()
                    ),
                ));
            }
            contacts.push(path);
        }

        Ok(Config {
            language,
            region,
            contacts,
            extensions,
            ring_timeout: Duration::from_secs(raw.ring_timeout),
            history: raw.history,
            quiet_hours,
            ubity,
            crm: Crm {
                url: crm_url,
                open_on: raw.crm.open_on,
            },
            listen: Listen {
                address,
                secret: (!secret.is_empty()).then_some(secret),
                initiated_path,
                answered_path,
                ended_path,
                allow_from,
                trusted_proxies,
            },
            notify: raw.notify,
        })
    }

    /// Reads the config at `path`, first writing the commented default there if no file
    /// exists yet. The flag says whether it was just created, so the caller can tell the user.
    pub fn load_or_create(path: &Path) -> Result<(Config, bool), ConfigError> {
        let created = !path.exists();
        if created {
            let lang = language::current();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    file_error(
                        path,
                        tr!(lang, "config-folder-not-created", error = e.to_string()),
                    )
                })?;
            }
            std::fs::write(path, DEFAULT_FILE).map_err(|e| {
                file_error(
                    path,
                    tr!(lang, "config-default-not-written", error = e.to_string()),
                )
            })?;
        }
        Ok((Config::load(path)?, created))
    }

    /// Reads the config at `path`, which must exist: commands other than the agent itself
    /// leave the user's folders as they are.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        // Before the text is read, it cannot say which language it wants.
        let lang = language::current();
        let bytes = read_capped(path).map_err(|e| {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                tr!(lang, "config-file-missing")
            } else if e.kind() == std::io::ErrorKind::FileTooLarge {
                tr!(lang, "config-file-too-large", kib = MAX_CONFIG_BYTES / 1024)
            } else {
                tr!(lang, "config-file-unreadable", error = e.to_string())
            };
            file_error(path, message)
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| file_error(path, tr!(lang, "config-file-not-utf8")))?;
        Config::parse(&text, path)
    }

    /// Whether `extension` (as it came in a callback) is one of the user's.
    pub fn is_mine(&self, extension: &str) -> bool {
        let n = number::normalize(extension);
        self.extensions.contains(&n)
    }
}

/// The largest config file read: a hand-written one is a few KiB; a huge one (a mistake, or
/// a file put there to hurt) must not be held in memory.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The file's bytes, or `FileTooLarge` past [`MAX_CONFIG_BYTES`] (only that much is read).
pub fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::ErrorKind::FileTooLarge.into());
    }
    Ok(bytes)
}

/// A problem with the file as a whole (no line, no key).
fn file_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        file: path.to_path_buf(),
        line: None,
        key: None,
        message,
    }
}

/// The TOML reader's complaint, said the way a person editing the file would and in `lang`.
/// Its usual complaints are recognized and said anew; any other keeps the reader's own
/// (English) words, introduced as such.
fn toml_words(message: &str, lang: Language) -> String {
    toml_mistake(message, lang).unwrap_or_else(|| tr!(lang, "config-toml-other", detail = message))
}

/// The usual complaints of the TOML reader and of serde (see their wording in the tests).
fn toml_mistake(message: &str, lang: Language) -> Option<String> {
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.rsplit_once(", expected ")?;
        return Some(tr!(
            lang,
            "config-toml-invalid-type",
            found = found_words(found, lang)?,
            expected = expected_words(expected, lang)?
        ));
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = rest.rsplit_once(", expected ")?;
        return Some(tr!(
            lang,
            "config-toml-invalid-value",
            found = found_words(found, lang)?,
            expected = expected_words(expected, lang)?
        ));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, choices) = rest.split_once("`, expected ")?;
        return Some(tr!(
            lang,
            "config-toml-unknown-field",
            key = key,
            keys = code_list(choices)?
        ));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, choices) = rest.split_once("`, expected ")?;
        return Some(tr!(
            lang,
            "config-toml-unknown-variant",
            value = value,
            values = code_list(choices)?
        ));
    }
    if let Some(key) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return Some(tr!(lang, "config-toml-missing-field", key = key));
    }
    if message.starts_with("duplicate key") {
        return Some(tr!(lang, "config-toml-duplicate-key"));
    }
    // Syntax: "<what is wrong>, expected <tokens>".
    let (what, expected) = message.split_once(", expected ").unwrap_or((message, ""));
    Some(match (what, expected) {
        ("unclosed table" | "unclosed array table", _) => tr!(lang, "config-toml-unclosed-table"),
        ("unclosed array", _) => tr!(lang, "config-toml-unclosed-list"),
        ("missing comma between array elements", _) => tr!(lang, "config-toml-missing-comma"),
        ("string values must be quoted", _) => tr!(lang, "config-toml-unquoted"),
        ("key with no value", _) => tr!(lang, "config-toml-no-value"),
        ("unexpected key or value", _) => tr!(lang, "config-toml-after-value"),
        ("invalid basic string", "`\"`") => tr!(lang, "config-toml-unclosed-quote", quote = "\""),
        ("invalid literal string", "`'`") => tr!(lang, "config-toml-unclosed-quote", quote = "'"),
        _ => return None,
    })
}

/// What serde found, such as `string "soon"` or ``integer `5` ``, in `lang`.
fn found_words(found: &str, lang: Language) -> Option<String> {
    if let Some(value) = found.strip_prefix("string ") {
        Some(tr!(lang, "config-found-text", value = value))
    } else if let Some(value) = found.strip_prefix("integer ") {
        let value = value
            .trim_end_matches(" as i128")
            .trim_end_matches(" as u128");
        Some(tr!(lang, "config-found-number", value = value))
    } else if let Some(value) = found.strip_prefix("floating point ") {
        Some(tr!(lang, "config-found-decimal", value = value))
    } else if let Some(value) = found.strip_prefix("boolean ") {
        Some(tr!(lang, "config-found-boolean", value = value))
    } else {
        match found {
            "sequence" => Some(tr!(lang, "config-found-list")),
            "map" => Some(tr!(lang, "config-found-table")),
            _ => None,
        }
    }
}

/// What serde expected, such as `u64` or `struct RawListen`, in `lang`.
fn expected_words(expected: &str, lang: Language) -> Option<String> {
    let table = match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => return Some(tr!(lang, "config-expected-number")),
        "a sequence" => return Some(tr!(lang, "config-expected-list")),
        "a boolean" => return Some(tr!(lang, "config-expected-boolean")),
        "a string" => return Some(tr!(lang, "config-expected-text")),
        "struct RawListen" => "listen",
        "struct NotifyPrefs" => "notify",
        "struct Retention" => "history",
        "struct Crm" => "crm",
        "struct RawUbity" => "ubity",
        _ => return None,
    };
    Some(tr!(lang, "config-expected-table", table = table))
}

/// serde's choices (`` one of `a`, `b`, `c` `` or `` `a` or `b` ``) as `` `a`, `b`, `c` ``.
fn code_list(choices: &str) -> Option<String> {
    let names: Vec<String> = choices
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|name| format!("`{name}`"))
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The dotted key whose entry covers `offset`, and its line.
fn key_at(text: &str, offset: usize) -> Option<(String, usize)> {
    let doc = DeTable::parse(text).ok()?;
    let (path, start) = entry_at(doc.get_ref(), offset)?;
    Some((path.join("."), line_of(text, start)))
}

/// Searches a table for the entry covering `offset`: its key path and where its key starts.
/// A `[table]`'s own span is only its header, so its entries are searched one by one.
fn entry_at(table: &DeTable<'_>, offset: usize) -> Option<(Vec<String>, usize)> {
    for (k, v) in table.iter() {
        if let DeValue::Table(inner) = v.get_ref()
            && let Some((mut path, start)) = entry_at(inner, offset)
        {
            path.insert(0, k.get_ref().to_string());
            return Some((path, start));
        }
        if k.span().start <= offset && offset < v.span().end.max(k.span().end) {
            return Some((vec![k.get_ref().to_string()], k.span().start));
        }
    }
    None
}

/// The line on which a dotted key is written, if it is.
fn find_key(text: &str, dotted: &str) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        let (k, v) = table.iter().find(|(k, _)| k.get_ref().as_ref() == part)?;
        if parts.peek().is_none() {
            return Some(line_of(text, k.span().start));
        }
        match v.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses in English unless the text names a language.
    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse_in(text, Path::new("config.toml"), Language::English)
    }

    #[test]
    fn the_default_file_is_the_default_config() {
        let c = parse(DEFAULT_FILE).expect("default file parses");
        assert_eq!(c.extensions, vec!["100"]);
        assert_eq!(c.ring_timeout, Duration::from_secs(120));
        assert_eq!(c.listen.address, "127.0.0.1:8765".parse().unwrap());
        assert_eq!(c.listen.secret, None);
        assert_eq!(c.listen.initiated_path, "/init");
        assert_eq!(c.notify, NotifyPrefs::default());
        assert_eq!(c.notify.max_new_toasts, crate::flood::MAX_NEW_TOASTS);
    }

    #[test]
    fn the_flood_limit_is_a_notify_key() {
        let c = parse("extensions = [\"100\"]\n[notify]\nmax_new_toasts = 10000\n").unwrap();
        assert_eq!(c.notify.max_new_toasts, 10_000);
        assert!(
            c.notify.incoming_ringing,
            "the other switches keep their defaults"
        );
        let c = parse("extensions = [\"100\"]\n[notify]\nmax_new_toasts = 1\n").unwrap();
        assert_eq!(c.notify.max_new_toasts, 1);
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let c = parse("extensions = [\"+1 514 555 1212\", \"100\", \"100\"]").unwrap();
        assert_eq!(c.extensions, vec!["5145551212", "100"]);
        assert!(c.is_mine("15145551212"));
        assert!(!c.is_mine("101"));
        assert_eq!(c.listen.ended_path, "/ended");
    }

    #[test]
    fn errors_name_line_and_key() {
        let table: &[(&str, usize, &str, &str)] = &[
            (
                "extensions = [\"100\"]\n\n[listen]\nadress = \"x\"\n",
                4,
                "listen.adress",
                "unknown field",
            ),
            (
                "extensions = [\"100\"]\nring_timeout = \"soon\"\n",
                2,
                "ring_timeout",
                "invalid type",
            ),
            (
                "extensions = [\"100\"]\nring_timeout = 0\n",
                2,
                "ring_timeout",
                "out of range",
            ),
            ("extensions = []\n", 1, "extensions", "at least one"),
            (
                "extensions = [\"100\"]\n[crm]\nurl = \"ftp://crm/{e164}\"\n",
                3,
                "crm.url",
                "http:// or https://",
            ),
            (
                "extensions = [\"100\"]\n[crm]\nopen_on = \"sometimes\"\n",
                3,
                "crm.open_on",
                "unknown variant",
            ),
            (
                "extensions = [\"100\"]\n[history]\nkeep_days = 0\n",
                3,
                "history.keep_days",
                "out of range",
            ),
            (
                "extensions = [\"100\"]\n[listen]\naddress = \"localhost\"\n",
                3,
                "listen.address",
                "not an IP address",
            ),
            (
                "extensions = [\"100\"]\n[listen]\nsecret = \"short\"\n",
                3,
                "listen.secret",
                "too short",
            ),
            (
                "extensions = [\"100\"]\n[listen]\naddress = \"0.0.0.0:8765\"\n",
                3,
                "listen.address",
                "needs a [listen] secret",
            ),
            (
                "extensions = [\"100\"]\n[listen]\nsecret = \"has/slash-and-more-chars\"\n",
                3,
                "listen.secret",
                "only letters",
            ),
            (
                "extensions = [\"100\"]\n[listen]\nended_path = \"/init\"\n",
                3,
                "listen.ended_path",
                "already used",
            ),
            (
                "extensions = [\"100\"]\n[listen]\nanswered_path = \"answered\"\n",
                3,
                "listen.answered_path",
                "not a URL path",
            ),
            (
                "extensions = [\"100\"]\n[notify]\nmissed = \"yes\"\n",
                3,
                "notify.missed",
                "invalid type",
            ),
            (
                "extensions = [\"100\"]\n[notify]\nmissed = true\nmax_new_toasts = 0\n",
                4,
                "notify.max_new_toasts",
                "0 is out of range; give a number of calls from 1 to 10000",
            ),
            (
                "extensions = [\"100\"]\n[notify]\nmax_new_toasts = 10001\n",
                3,
                "notify.max_new_toasts",
                "10001 is out of range",
            ),
            (
                "extensions = [\"100\"]\n[notify]\nmax_new_toasts = -3\n",
                3,
                "notify.max_new_toasts",
                "invalid value: the number `-3`, expected a whole number",
            ),
            (
                "extensions = [\"1<b>\"]\n",
                1,
                "extensions",
                "characters no extension",
            ),
            ("extensions = [\"1\\u0007\"]\n", 1, "extensions", "\\u{7}"),
            (
                "extensions = [\" - \"]\n",
                1,
                "extensions",
                "\" - \" is empty",
            ),
            (
                "extensions = [\"100\"]\nlanguage = \"klingon\"\n",
                2,
                "language",
                "not a language calltray speaks",
            ),
            (
                "extensions = [\"100\"]\nlog_level = \"loud\"\n",
                2,
                "log_level",
                "not a log level",
            ),
            (
                "extensions = [\"100\"]\n[ubity]\napi_url = \"http://api.ubity.com\"\n",
                3,
                "ubity.api_url",
                "use https://",
            ),
            (
                "extensions = [\"100\"]\n[ubity]\napi_url = \"http://127.evil.example\"\n",
                3,
                "ubity.api_url",
                "use https://",
            ),
            (
                "extensions = [\"100\"]\n[listen]\ninitiated_path = \"/../init\"\n",
                3,
                "listen.initiated_path",
                "not a URL path",
            ),
            (
                "extensions = [\"100\"]\nlisten = 5\n",
                2,
                "listen",
                "[listen]",
            ),
        ];
        for (text, line, key, words) in table {
            let e = parse(text).expect_err(text);
            assert_eq!(e.line, Some(*line), "{text}: {e}");
            assert_eq!(e.key.as_deref(), Some(*key), "{text}: {e}");
            assert!(e.message.contains(words), "{text}: {e}");
        }
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("extensions = [\"100\"]\n[listen\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let shown = e.to_string();
        assert!(shown.starts_with("config.toml, line 2"), "{shown}");
    }

    #[test]
    fn missing_extensions_is_named() {
        let e = parse("ring_timeout = 30\n").unwrap_err();
        assert!(e.message.contains("extensions"), "{e}");
    }

    #[test]
    fn first_run_writes_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let (c, created) = Config::load_or_create(&path).unwrap();
        assert!(created);
        assert_eq!(c.extensions, vec!["100"]);
        let (_, created_again) = Config::load_or_create(&path).unwrap();
        assert!(!created_again);
    }

    #[test]
    fn language_is_chosen_or_follows_the_desktop() {
        let parse = |text: &str| Config::parse(text, Path::new("c.toml")).map(|c| c.language);
        assert_eq!(
            parse("extensions = [\"100\"]\nlanguage = \"fr\"\n"),
            Ok(Language::French)
        );
        assert_eq!(
            parse("extensions = [\"100\"]\nlanguage = \"Français\"\n"),
            Ok(Language::French)
        );
        assert_eq!(
            parse("extensions = [\"100\"]\nlanguage = \"en\"\n"),
            Ok(Language::English)
        );
        assert_eq!(
            parse("extensions = [\"100\"]\n"),
            Ok(Language::from_system())
        );
        // A file with a mistake elsewhere still says which language to report it in.
        assert_eq!(
            language_hint("extensions = []\nlanguage = \"fr\"\nring_timeout = 1\n"),
            Some(Language::French)
        );
        assert_eq!(language_hint("language = \"auto\"\n"), None);
        assert_eq!(
            log_level_hint("log_level = \"DEBUG\"\nextensions = []\n").as_deref(),
            Some("debug")
        );
        assert_eq!(log_level_hint("log_level = \"loud\"\n"), None);
        assert_eq!(language_hint("not toml at all ["), None);
    }

    #[test]
    fn a_french_file_is_told_its_mistakes_in_french() {
        let table: &[(&str, usize, &str, &str)] = &[
            (
                "language = \"fr\"\nextensions = [\"100\"]\nring_timeout = 2\n",
                3,
                "ring_timeout",
                "2 est hors limites; indiquez de 5 à 3600 secondes",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\nquiet_hours = [\"lun-ven 12:00-13:00\"]\n",
                3,
                "quiet_hours",
                "\"lun-ven 12:00-13:00\" : jour inconnu \"lun\"; utilisez les abréviations anglaises \
                 mon, tue, wed, thu, fri, sat, sun ou daily",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\n[crm]\nurl = \"crm.example.com/{e164}\"\n",
                4,
                "crm.url",
                "l’URL doit commencer par http:// ou https://",
            ),
            (
                "language = \"fr\"\nextensions = []\n",
                2,
                "extensions",
                "inscrivez au moins un de vos postes, par exemple [\"100\"]",
            ),
            (
                "language = \"fr\"\nextensions = [\"1<b>\"]\n",
                2,
                "extensions",
                "\"1<b>\" contient des caractères qu’aucun poste ne peut avoir; inscrivez chaque \
                 poste comme Ubity l’écrit, par exemple \"100\"",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\n[history]\nkeep_calls = 0\n",
                4,
                "history.keep_calls",
                "0 est hors limites; indiquez de 1 à 10\u{a0}000\u{a0}000 appels",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\n[notify]\nmax_new_toasts = 0\n",
                4,
                "notify.max_new_toasts",
                "0 est hors limites; indiquez de 1 à 10\u{a0}000 appels",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\n[listen]\naddress = \"0.0.0.0:8765\"\n",
                4,
                "listen.address",
                "0.0.0.0:8765 est joignable depuis d’autres ordinateurs",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\n[listen]\nsecret = \"court\"\n",
                4,
                "listen.secret",
                "utilisez au moins 22 caractères aléatoires, ou lancez `calltray secret new`",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\nregion = \"Québec\"\n",
                3,
                "region",
                "`Québec` n’est pas un code de pays",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\nring_timeout = \"bientôt\"\n",
                3,
                "ring_timeout",
                "mauvais type de valeur : le texte \"bientôt\"; il faut un nombre entier positif",
            ),
            (
                "language = \"fr\"\nextensions = [\"100\"]\n[listen]\nadress = \"x\"\n",
                4,
                "listen.adress",
                "clé inconnue `adress`; les clés possibles ici sont `address`, `secret`,",
            ),
        ];
        for (text, line, key, words) in table {
            // The file's `language` wins over the fallback.
            let e = Config::parse_in(text, Path::new("c.toml"), Language::English).expect_err(text);
            assert_eq!(e.line, Some(*line), "{text}: {e:?}");
            assert_eq!(e.key.as_deref(), Some(*key), "{text}: {e:?}");
            assert!(e.message.contains(words), "{text}: {:?}", e.message);
        }
        // No `language` (or "auto"): the fallback, the program's current language, is used.
        let e = Config::parse_in("extensions = []\n", Path::new("c.toml"), Language::French)
            .expect_err("no extension");
        assert!(e.message.starts_with("inscrivez au moins"), "{e:?}");
    }

    #[test]
    fn the_toml_readers_words_are_said_anew_in_each_language() {
        let table: &[(&str, &str, &str)] = &[
            (
                "ring_timeout = -1",
                "invalid value: the number `-1`, expected a whole number",
                "valeur non permise : le nombre `-1`; il faut un nombre entier positif",
            ),
            (
                "ring_timeout = [1]",
                "invalid type: a list, expected a whole number",
                "mauvais type de valeur : une liste; il faut un nombre entier positif",
            ),
            (
                "quiet_hours = \"sat\"",
                "invalid type: text \"sat\", expected a list such as [\"100\"]",
                "mauvais type de valeur : le texte \"sat\"; il faut une liste, par exemple [\"100\"]",
            ),
            (
                "contacts = [1.5]",
                "invalid type: the decimal number `1.5`, expected text in quotes",
                "mauvais type de valeur : le nombre décimal `1.5`; il faut du texte entre guillemets",
            ),
            (
                "[notify]\nmissed = \"yes\"",
                "invalid type: text \"yes\", expected true or false",
                "mauvais type de valeur : le texte \"yes\"; il faut true ou false",
            ),
            (
                "[crm]\nopen_on = \"sometimes\"",
                "unknown variant `sometimes`, expected one of `ringing`, `answered`, `never`",
                "valeur inconnue `sometimes`; les valeurs possibles sont `ringing`, `answered`, `never`",
            ),
            (
                "[ubity]\napi_kee = \"k\"",
                "unknown field `api_kee`, expected one of `api_key`, `api_url`",
                "clé inconnue `api_kee`; les clés possibles ici sont `api_key`, `api_url`",
            ),
            (
                "ring_timeout = 30\nring_timeout = 40",
                "this key or table is written twice",
                "cette clé ou cette table est écrite deux fois",
            ),
            (
                "[listen",
                "the table header is not closed",
                "l’en-tête de table n’est pas fermé",
            ),
            (
                "contacts = [\"a.csv\"",
                "the list is not closed",
                "la liste n’est pas fermée",
            ),
            (
                "region = CA",
                "with text in quotes",
                "et le texte entre guillemets",
            ),
            (
                "region = \"CA",
                "the text has no closing quote (\")",
                "il manque le guillemet (\") qui ferme le texte",
            ),
            (
                "region = 'CA",
                "the text has no closing quote (')",
                "il manque le guillemet (') qui ferme le texte",
            ),
            ("region", "expected `=`", "une clé sans valeur"),
            (
                "region = \"CA\" \"FR\"",
                "unexpected text after the value",
                "texte inattendu après la valeur",
            ),
            (
                "contacts = [\"a.csv\" \"b.csv\"]",
                "a comma is missing",
                "il manque une virgule",
            ),
            // Anything else keeps the reader's words, introduced in French.
            (
                "[crm]\nopen_on = 5",
                "wanted string or table",
                "l’analyseur TOML signale (en anglais) : wanted string or table",
            ),
        ];
        for (body, en, fr) in table {
            let text = format!("extensions = [\"100\"]\n{body}\n");
            for (lang, words) in [(Language::English, en), (Language::French, fr)] {
                let e = Config::parse_in(&text, Path::new("c.toml"), lang).expect_err(&text);
                assert!(e.message.contains(words), "{text}: {:?}", e.message);
            }
        }
        let e = Config::parse_in("ring_timeout = 30\n", Path::new("c.toml"), Language::French)
            .expect_err("no extensions");
        assert_eq!(e.message, "la clé `extensions` est absente");
        // Each table written as a plain value is named as the table it should be.
        for table in ["listen", "notify", "history", "crm", "ubity"] {
            let text = format!("extensions = [\"100\"]\n{table} = 5\n");
            let en = parse(&text).expect_err(&text).message;
            assert_eq!(
                en,
                format!("invalid type: the number `5`, expected a table: write it as [{table}]")
            );
            let fr = Config::parse_in(&text, Path::new("c.toml"), Language::French)
                .expect_err(&text)
                .message;
            assert_eq!(
                fr,
                format!(
                    "mauvais type de valeur : le nombre `5`; il faut une table, écrite [{table}]"
                )
            );
        }
    }

    #[test]
    fn errors_are_placed_in_each_language() {
        let e = ConfigError {
            file: PathBuf::from("/home/a/config.toml"),
            line: Some(3),
            key: Some("ring_timeout".into()),
            message: "2 is out of range".into(),
        };
        assert_eq!(
            e.line_first(Language::French),
            "Ligne 3, clé `ring_timeout` : 2 is out of range\ndans /home/a/config.toml"
        );
        assert_eq!(
            e.line_first(Language::English),
            "Line 3, key `ring_timeout`: 2 is out of range\nin /home/a/config.toml"
        );
    }
}
