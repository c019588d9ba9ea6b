//! Any bytes, read as a request's method, target, content type and body, must give either an
//! event or a one-line 4xx refusal: never a panic.
#![no_main]

use calltray::config::Config;
use calltray::listener::{RequestParts, judge};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::parse(
            "extensions = [\"100\"]\n[listen]\nsecret = \"0123456789abcdef0123456789abcdef\"\n",
            Path::new("fuzz.toml"),
        )
        .expect("the fuzz config is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    // Layout: method \n target \n content-type \n body (missing parts are empty).
    let mut parts = data.splitn(4, |b| *b == b'\n');
    let method = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let url = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let content_type = parts.next().map(String::from_utf8_lossy);
    let body = parts.next().unwrap_or_default();
    let request = RequestParts {
        method: &method,
        url: &url,
        content_type: content_type.as_deref(),
        body,
    };
    if let Err(refusal) = judge(&request, config()) {
        assert!((400..500).contains(&refusal.status), "{refusal:?}");
        assert!(!refusal.reason.contains('\n'), "{refusal:?}");
    }
});
