//! Internal callers' names, from Ubity's Extensions API.
//!
//! A colleague calling from extension 204 should show up as "Julie Roy", not "ext 204". The
//! names come from `POST {api_url}/extensions` (the key in the body, never in a URL a proxy
//! might log), are kept in a small cache file so they are there from the first call after a
//! start, even offline, and are refreshed in the background: a toast never waits for the
//! network. A failed refresh keeps the names already known.

use crate::dial::{Api, Failure};
use crate::view;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// Extension number → the caller-ID name Ubity has for it.
pub type ExtensionNames = BTreeMap<String, String>;

/// How often the names are fetched again while calltray runs.
pub const REFRESH_EVERY: Duration = Duration::from_secs(15 * 60);
/// After a failed fetch, the next try comes sooner than a full refresh.
const RETRY_AFTER: Duration = Duration::from_secs(60);
/// The largest answer read: a company of thousands of extensions fits many times over.
const MAX_ANSWER: u64 = 8 * 1024 * 1024;
/// The most extensions kept, whatever the answer holds.
const MAX_EXTENSIONS: usize = 20_000;
/// The longest name kept, in characters.
const MAX_NAME_CHARS: usize = 64;

#[derive(serde::Deserialize)]
struct Answer {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    diagnostic: String,
    /// Each entry read on its own: one odd entry must not cost every other name.
    #[serde(default)]
    extensions: BTreeMap<String, serde_json::Value>,
}

/// The names in an Extensions API answer: extensions that look like extensions, with a
/// name that is not empty once cleaned. Anything else in the answer is left out, not refused.
pub fn parse_answer(json: &str) -> Result<ExtensionNames, Failure> {
    let answer: Answer = serde_json::from_str(json).map_err(|_| Failure::Unreadable)?;
    crate::dial::verdict(answer.code, &answer.diagnostic)?;
    Ok(answer
        .extensions
        .into_iter()
        .filter_map(|(number, ext)| {
            let number = crate::number::normalize(&number);
            if !crate::number::is_extension(&number) {
                return None;
            }
            let callerid = ext.get("callerid").and_then(|v| v.as_str()).unwrap_or("");
            let name: String = view::clean(callerid).chars().take(MAX_NAME_CHARS).collect();
            let name = name.trim().to_string();
            (!name.is_empty()).then_some((number, name))
        })
        .take(MAX_EXTENSIONS)
        .collect())
}

/// Asks Ubity for the company's extensions. Blocks for up to the API's timeout.
pub fn fetch(api: &Api) -> Result<ExtensionNames, Failure> {
    parse_answer(&crate::dial::post(api, "/extensions", &[], MAX_ANSWER)?)
}

/// The cached names, or nothing when there is no readable cache.
pub fn load_cache(path: &Path) -> ExtensionNames {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Writes the cache whole or not at all (a new file renamed over the old one).
pub fn save_cache(path: &Path, names: &ExtensionNames) -> std::io::Result<()> {
    crate::paths::replace_file(path, &serde_json::to_vec_pretty(names)?)
}

/// The background refresher; dropping it stops the thread at its next wake-up.
pub struct Refresher {
    api: Sender<Option<Api>>,
}

impl Refresher {
    /// A new API key or address (from a config edit): fetched at once; `None` stops fetching.
    pub fn set_api(&self, api: Option<Api>) {
        let _ = self.api.send(api);
    }
}

/// Fetches the names now and every [`REFRESH_EVERY`], saving each good answer in `cache`
/// and handing it to `on_names`. Without an API key it waits for one.
pub fn spawn(
    api: Option<Api>,
    cache: PathBuf,
    on_names: impl Fn(ExtensionNames) + Send + 'static,
) -> std::io::Result<Refresher> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("extension-names".into())
        .spawn(move || refresh_loop(api, &cache, &rx, &on_names))?;
    Ok(Refresher { api: tx })
}

fn refresh_loop(
    mut api: Option<Api>,
    cache: &Path,
    changes: &Receiver<Option<Api>>,
    on_names: &dyn Fn(ExtensionNames),
) {
    let mut last: Option<ExtensionNames> = None;
    loop {
        let wait = api.as_ref().map(|a| match fetch(a) {
            Ok(names) => {
                if last.as_ref() != Some(&names) {
                    if let Err(e) = save_cache(cache, &names) {
                        tracing::warn!("cannot save the extension names: {e}");
                    }
                    let count = names.len();
                    on_names(names.clone());
                    // After the hand-over: whoever reads this line knows the names are
                    // queued ahead of any callback that comes next.
                    tracing::info!("{count} extension names from Ubity");
                    last = Some(names);
                }
                REFRESH_EVERY
            }
            Err(failure) => {
                // The failure is described in words: the request (and its key) never is.
                tracing::warn!("extension names not refreshed: {failure}");
                RETRY_AFTER
            }
        });
        let next = match wait {
            Some(wait) => changes.recv_timeout(wait),
            None => changes.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(new) => {
                if new != api {
                    last = None;
                }
                api = new;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_from_the_documented_answer() {
        let json = r#"{"extensions": {
            "100": {"callerid": "Julie Roy", "state": "free", "updated": 1733300000.5},
            "204": {"callerid": "  Marc <b>Dubé</b>\u0007 ", "state": "oncall", "updated": 1.0},
            "300": {"callerid": "", "state": "free"},
            "sales": {"callerid": "Sales queue"},
            "5145551212": {"callerid": "Too long for an extension"},
            "301": {"state": "free"},
            "302": {"callerid": 123},
            "303": "not an object",
            "304": {"callerid": "Lyne Côté"}
        }}"#;
        let names = parse_answer(json).unwrap();
        assert_eq!(names.get("100").map(String::as_str), Some("Julie Roy"));
        let marc = names.get("204").unwrap();
        assert!(
            marc.starts_with("Marc") && !marc.contains('\u{7}'),
            "{marc:?}"
        );
        assert_eq!(names.get("304").map(String::as_str), Some("Lyne Côté"));
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn refusals_and_garbage_are_told_apart() {
        assert_eq!(
            parse_answer(r#"{"code": 401, "diagnostic": "bad key"}"#),
            Err(Failure::KeyRefused)
        );
        assert_eq!(
            parse_answer(r#"{"code": 500, "diagnostic": "maintenance"}"#),
            Err(Failure::Refused("maintenance".into()))
        );
        assert_eq!(parse_answer("<html>"), Err(Failure::Unreadable));
        assert_eq!(parse_answer("{}"), Ok(ExtensionNames::new()));
    }

    #[test]
    fn the_cache_round_trips_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("extensions.json");
        assert!(load_cache(&path).is_empty());
        let names = ExtensionNames::from([("100".to_string(), "Julie Roy".to_string())]);
        save_cache(&path, &names).unwrap();
        assert_eq!(load_cache(&path), names);
        std::fs::write(&path, "not json").unwrap();
        assert!(load_cache(&path).is_empty());
    }
}
