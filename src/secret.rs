//! The secret path segment that keeps strangers out of the listener.
//!
//! Ubity signs nothing, so whoever knows a callback URL can send events. A secret segment
//! of 128 random bits in the URL makes the URL itself the key: it is generated here, written
//! into the user's config without disturbing their comments, and compared in constant time.

use anyhow::{Context, Result};
use std::path::Path;
use subtle::ConstantTimeEq;

/// Random bytes in a generated secret: 128 bits.
const SECRET_BYTES: usize = 16;

/// A new secret: 128 random bits from the operating system, as 32 hex digits.
pub fn generate() -> Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the system gave no random numbers: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `given` is the secret, taking the same time whatever it shares with it.
pub fn matches(given: &str, secret: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(secret.as_bytes()))
}

/// Sets `[listen] secret` in the config text, keeping everything else as the user wrote it.
pub fn set_in_text(text: &str, secret: &str) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().context("the config is not valid TOML")?;
    let listen = doc
        .entry("listen")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    let table = listen
        .as_table_like_mut()
        .context("`listen` in the config is not a table")?;
    match table.get_mut("secret") {
        Some(item) if item.is_value() => {
            // Keep the comments around the old value.
            let decor = item.as_value().map(|v| v.decor().clone());
            let mut value = toml_edit::Value::from(secret);
            if let Some(decor) = decor {
                *value.decor_mut() = decor;
            }
            *item = toml_edit::Item::Value(value);
        }
        _ => {
            table.insert("secret", toml_edit::value(secret));
        }
    }
    Ok(doc.to_string())
}

/// Writes a new secret into the config file at `path`, replacing the file in one step.
pub fn write_new(path: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let secret = generate()?;
    let updated =
        set_in_text(&text, &secret).with_context(|| format!("cannot update {}", path.display()))?;
    crate::paths::replace_file(path, updated.as_bytes())
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, DEFAULT_FILE};

    #[test]
    fn generated_secrets_are_long_random_and_accepted() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn comparison_is_exact() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abd", "abc"));
        assert!(!matches("ab", "abc"));
        assert!(!matches("", "abc"));
    }

    #[test]
    fn setting_the_secret_keeps_the_users_comments() {
        let updated = set_in_text(DEFAULT_FILE, "0123456789abcdef0123456789abcdef").unwrap();
        let comments = |t: &str| {
            t.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count()
        };
        assert_eq!(comments(&updated), comments(DEFAULT_FILE));
        let config = Config::parse(&updated, Path::new("c.toml")).unwrap();
        assert_eq!(
            config.listen.secret.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
    }

    #[test]
    fn a_config_without_listen_gets_one() {
        let updated = set_in_text("extensions = [\"100\"]\n", "s".repeat(32).as_str()).unwrap();
        let config = Config::parse(&updated, Path::new("c.toml")).unwrap();
        assert_eq!(config.listen.secret.map(|s| s.len()), Some(32));
    }
}
