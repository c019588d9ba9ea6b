//! Click to call: "Call back" asks Ubity's Calls API to ring the user's extension first and
//! then dial the number.
//!
//! The request runs on a thread of its own, so the tray and the core loop never wait on the
//! network; its outcome comes back as a toast. The API key travels in a POST body (not in a
//! URL that a proxy might log) and never reaches calltray's own log: errors are described
//! in words, never by echoing the request.

use crate::language::Language;
use crate::tr;
use crate::view;
use std::time::Duration;

/// How long a call-back request may take before the user is told it failed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to reach Ubity's API.
#[derive(Clone, PartialEq, Eq)]
pub struct Api {
    /// `https://api.ubity.com` (a local stand-in in tests).
    pub base: String,
    pub key: String,
}

/// Without the key: a config printed for debugging must not show it.
impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base)
            .field("key", &"(hidden)")
            .finish()
    }
}

/// Why a call back did not start, in the words the toast uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    KeyRefused,
    Refused(String),
    Unreachable,
    Unreadable,
}

impl Failure {
    /// The failure in the user's words (the log gets the English ones).
    pub fn text(&self, lang: Language) -> String {
        match self {
            Failure::KeyRefused => tr!(lang, "call-back-bad-key"),
            Failure::Refused(why) => tr!(lang, "call-back-refused", why = why),
            Failure::Unreachable => tr!(lang, "call-back-unreachable"),
            Failure::Unreadable => tr!(lang, "call-back-unreadable"),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Language::English))
    }
}

/// What Ubity's `/call` answers, as its documentation shows.
#[derive(serde::Deserialize)]
struct Answer {
    code: i64,
    #[serde(default)]
    diagnostic: String,
}

/// Sends one request to Ubity's API as its documentation shows: a POST to `path` with the key
/// and `fields` in a form body (never in a URL a proxy might log) and the versioned `Accept`
/// header. The answer's body, read up to `limit` bytes. Blocks for up to [`TIMEOUT`].
pub(crate) fn post(
    api: &Api,
    path: &str,
    fields: &[(&str, &str)],
    limit: u64,
) -> Result<String, Failure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .build()
        .into();
    let url = format!("{}{path}", api.base.trim_end_matches('/'));
    let form = std::iter::once(("key", api.key.as_str())).chain(fields.iter().copied());
    let mut response = agent
        .post(&url)
        .header("Accept", "application/json;version=0")
        .send_form(form)
        .map_err(|_| Failure::Unreachable)?;
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        return Err(Failure::KeyRefused);
    }
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_string()
        .map_err(|_| Failure::Unreadable)
}

/// What an answer's `code` and `diagnostic` say: 200 (or no code at all) is success.
pub(crate) fn verdict(code: Option<i64>, diagnostic: &str) -> Result<(), Failure> {
    match code {
        None | Some(200) => Ok(()),
        Some(401 | 403) => Err(Failure::KeyRefused),
        Some(code) => Err(Failure::Refused(if diagnostic.trim().is_empty() {
            format!("code {code}")
        } else {
            view::clean(diagnostic)
        })),
    }
}

/// Asks Ubity to ring `extension`, then dial `number`. Blocks for up to [`TIMEOUT`].
pub fn call_back(api: &Api, extension: &str, number: &str) -> Result<(), Failure> {
    let body = post(
        api,
        "/call",
        &[("exten", extension), ("number", number)],
        64 * 1024,
    )?;
    let answer: Answer = serde_json::from_str(&body).map_err(|_| Failure::Unreadable)?;
    verdict(Some(answer.code), &answer.diagnostic)
}

/// Starts a call back on its own thread; `tell` gets the toast that says how it went.
pub fn spawn(
    api: Api,
    extension: String,
    number: String,
    shown: String,
    lang: Language,
    tell: impl FnOnce(view::Toast) + Send + 'static,
) {
    let started = std::thread::Builder::new()
        .name("call-back".into())
        .spawn(move || {
            let toast = match call_back(&api, &extension, &number) {
                Ok(()) => {
                    tracing::info!("call back started from extension {extension}");
                    view::notice_ok(
                        "call-back",
                        &tr!(lang, "call-back-calling", party = &shown),
                        &tr!(lang, "call-back-rings-first", extension = &extension),
                    )
                }
                Err(failure) => {
                    tracing::warn!("call back failed: {failure}");
                    view::notice(
                        "call-back",
                        &tr!(lang, "call-back-failed", party = &shown),
                        &failure.text(lang),
                    )
                }
            };
            tell(toast);
        });
    if let Err(e) = started {
        tracing::warn!("cannot start a call back: {e}");
    }
}
