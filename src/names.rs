//! Who is calling: the name for a number, from the user's contacts and Ubity's extensions.
//!
//! [`Names`] is plain data the pure parts of calltray ([`crate::view`]) are given: the home
//! region numbers are read in, the contacts keyed by E.164, and the extension names. The
//! agent swaps in a new one when a contacts file is read again or Ubity's names are
//! refreshed, so a toast never waits for a file or the network.

use crate::config::Config;
use crate::contacts::{Directory, Entry};
use crate::extensions::ExtensionNames;
use crate::language::Language;
use crate::number::{self, Party};
use crate::tr;
use crate::view::clean;
use rlibphonenumber::Region;
use std::io::Read;
use std::path::Path;

/// Where a matched name came from.
enum Found<'a> {
    Extensions,
    File(&'a str, Option<u64>),
}

/// One place names came from, as `calltray lookup` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file, or "Ubity extensions".
    pub label: String,
    /// How many numbers it gave a name to.
    pub numbers: usize,
    /// Why it gave none, when it could not be read.
    pub problem: Option<String>,
}

/// Everything needed to say who a party is.
#[derive(Debug, Clone)]
pub struct Names {
    pub region: Region,
    contacts: Directory,
    extensions: ExtensionNames,
    sources: Vec<Source>,
}

impl Default for Names {
    fn default() -> Self {
        Names::new(number::DEFAULT_REGION)
    }
}

/// What a lookup found, step by step, for `calltray lookup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub party: Party,
    /// The name and where it came from, when one matched.
    pub found: Option<(String, String)>,
}

impl Names {
    /// No names yet: numbers are still read in `region`.
    pub fn new(region: Region) -> Names {
        Names {
            region,
            contacts: Directory::new(),
            extensions: ExtensionNames::new(),
            sources: Vec::new(),
        }
    }

    /// Adds one contacts source; numbers are keyed by their E.164 form in the home region.
    /// Returns how many of its numbers could not be read as phone numbers.
    pub fn add_contacts(&mut self, label: &str, contacts: &[crate::contacts::Contact]) -> usize {
        let region = self.region;
        let before = self.contacts.len();
        let unread = self
            .contacts
            .add(label, contacts, |raw| number::e164(raw, region));
        self.sources.push(Source {
            label: label.to_string(),
            numbers: self.contacts.len() - before,
            problem: None,
        });
        unread
    }

    /// Notes a source that could not be read, so `lookup` can say so.
    pub fn add_problem(&mut self, label: &str, problem: String) {
        self.sources.push(Source {
            label: label.to_string(),
            numbers: 0,
            problem: Some(problem),
        });
    }

    /// Replaces the extension names (a refresh from Ubity, or its cache).
    pub fn set_extensions(&mut self, names: ExtensionNames) {
        self.extensions = names;
    }

    /// Takes over `old`'s extension names: contacts read afresh must not bring back an older
    /// copy of Ubity's names than the one already in use.
    pub fn keep_extensions_of(&mut self, old: &mut Names) {
        self.extensions = std::mem::take(&mut old.extensions);
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// How many numbers the contacts files gave a name to.
    pub fn contact_count(&self) -> usize {
        self.contacts.len()
    }

    /// The name of the party `raw`, when a source knows it.
    pub fn name_for(&self, raw: &str) -> Option<&str> {
        self.find(&number::read(raw, self.region))
            .map(|(name, _)| name)
    }

    fn find(&self, party: &Party) -> Option<(&str, Found<'_>)> {
        match party {
            Party::Extension(digits) => self
                .extensions
                .get(digits)
                .map(|n| (n.as_str(), Found::Extensions)),
            Party::Phone { e164, .. } => self
                .contacts
                .get(e164)
                .map(|Entry { name, source, line }| (name.as_str(), Found::File(source, *line))),
            Party::Unknown | Party::Text(_) => None,
        }
    }

    /// How `raw` was read and which name, if any, it matched, with where it came from in
    /// `lang`'s words.
    pub fn explain(&self, raw: &str, lang: Language) -> Explanation {
        let party = number::read(raw, self.region);
        let found = self.find(&party).map(|(name, found)| {
            let source = match found {
                Found::Extensions => tr!(lang, "lookup-from-extensions"),
                Found::File(file, Some(line)) => {
                    tr!(lang, "lookup-from-line", file = file, line = line)
                }
                Found::File(file, None) => file.to_string(),
            };
            (name.to_string(), source)
        });
        Explanation { party, found }
    }

    /// A number as shown: "Unknown number" when none was given, `ext 100` for an extension,
    /// national form at home and international form otherwise, anything else as it came;
    /// cleaned of control and invisible characters.
    pub fn number_text(&self, raw: &str, lang: Language) -> String {
        match number::read(raw, self.region) {
            Party::Unknown => tr!(lang, "unknown-number"),
            Party::Extension(digits) => tr!(lang, "extension", number = clean(&digits)),
            Party::Phone { display, .. } => clean(&display),
            Party::Text(text) => clean(&text),
        }
    }

    /// Who a party is, in one short phrase: the name when known, else the number.
    pub fn party_text(&self, raw: &str, lang: Language) -> String {
        match self.name_for(raw) {
            Some(name) => clean(name),
            None => self.number_text(raw, lang),
        }
    }

    /// The name and the number together, for a toast: "Julie Roy · (514) 555-1212".
    pub fn name_and_number(&self, raw: &str, lang: Language) -> String {
        let number = self.number_text(raw, lang);
        match self.name_for(raw) {
            Some(name) => format!("{} · {number}", clean(name)),
            None => number,
        }
    }

    /// What "Copy number" and "Call back" use.
    pub fn dialable(&self, raw: &str) -> String {
        clean(&number::dialable(raw, self.region))
    }
}

/// What `calltray lookup` prints: how `raw` was read, the name it matched or that none did,
/// and every source searched with what it held. `keyed`: an API key is configured.
pub fn lookup_report(raw: &str, names: &Names, keyed: bool, lang: Language) -> String {
    let explained = names.explain(raw, lang);
    let shown_raw = clean(raw.trim());
    let mut lines = vec![match &explained.party {
        Party::Unknown => tr!(lang, "lookup-empty"),
        Party::Extension(digits) => {
            tr!(lang, "lookup-extension", raw = &shown_raw, number = digits)
        }
        Party::Phone { e164, display, .. } => tr!(
            lang,
            "lookup-phone",
            raw = &shown_raw,
            e164 = e164,
            display = display,
            region = names.region.to_string()
        ),
        Party::Text(_) => tr!(lang, "lookup-text", raw = &shown_raw),
    }];
    lines.push(match &explained.found {
        Some((name, source)) => tr!(lang, "lookup-found", name = clean(name), source = source),
        None => tr!(lang, "lookup-not-found"),
    });
    lines.push(tr!(lang, "lookup-searched"));
    if names.sources.is_empty() {
        lines.push(format!("  {}", tr!(lang, "lookup-no-contacts")));
    }
    for source in &names.sources {
        lines.push(format!(
            "  {}",
            match &source.problem {
                Some(problem) => tr!(
                    lang,
                    "lookup-source-problem",
                    label = &source.label,
                    problem = problem
                ),
                None => tr!(
                    lang,
                    "lookup-source",
                    label = &source.label,
                    count = source.numbers
                ),
            }
        ));
    }
    lines.push(format!(
        "  {}",
        tr!(
            lang,
            "lookup-extensions",
            count = names.extensions.len(),
            keyed = if keyed { "yes" } else { "no" }
        )
    ));
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The kinds of contacts file calltray reads, known by their file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Vcard,
}

impl Kind {
    pub fn of(path: &Path) -> Option<Kind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Kind::Csv),
            "vcf" | "vcard" => Some(Kind::Vcard),
            _ => None,
        }
    }
}

/// The largest contacts file read; a phone book of many thousands of people fits easily.
const MAX_CONTACTS_FILE: u64 = 16 * 1024 * 1024;

/// Reads one contacts file. The error is the sentence shown to the user.
fn read_file(path: &Path) -> Result<Vec<crate::contacts::Contact>, String> {
    let kind = Kind::of(path).ok_or_else(|| tr!(crate::language::current(), "contacts-kind"))?;
    let lang = crate::language::current();
    let unreadable = |e: std::io::Error| tr!(lang, "contacts-unreadable", error = e.to_string());
    // A fifo or a device would block the read (and calltray with it) until someone writes.
    if !std::fs::metadata(path).map_err(unreadable)?.is_file() {
        return Err(tr!(lang, "contacts-not-a-file"));
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONTACTS_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_CONTACTS_FILE {
        return Err(tr!(
            lang,
            "contacts-too-large",
            mib = MAX_CONTACTS_FILE / 1024 / 1024
        ));
    }
    let read = match kind {
        Kind::Csv => crate::contacts::read_csv(&bytes),
        Kind::Vcard => crate::contacts::read_vcard(&crate::contacts::decode_text(&bytes)),
    };
    read.map_err(|e| {
        // The log gets the English words; the user, through `lookup`, theirs.
        tracing::debug!("{}: {e}", path.display());
        problem_text(&e, crate::language::current())
    })
}

/// A contacts file's problem in `lang`'s words, with its line when known.
fn problem_text(e: &crate::contacts::SourceError, lang: Language) -> String {
    use crate::contacts::Problem;
    let text = match &e.problem {
        Problem::NotCsv(detail) => tr!(lang, "contacts-not-csv", detail = clean(detail)),
        Problem::Columns { name, phone, seen } => tr!(
            lang,
            "contacts-columns",
            missing = match (name, phone) {
                (false, false) => "both",
                (false, true) => "name",
                _ => "phone",
            },
            seen = seen
        ),
        Problem::NoVcard => tr!(lang, "contacts-no-vcard"),
    };
    match e.line {
        Some(line) => tr!(lang, "contacts-at-line", line = line, problem = text),
        None => text,
    }
}

/// The names a running calltray uses: the config's contacts files, read now, and the
/// extension names cached from Ubity's last answer. A file that cannot be read is noted
/// (and logged), never fatal.
pub fn load(config: &Config, extension_cache: Option<&Path>) -> Names {
    let mut names = Names::new(config.region);
    for path in &config.contacts {
        let label = path.display().to_string();
        match read_file(path) {
            Ok(contacts) => {
                let unread = names.add_contacts(&label, &contacts);
                if unread > 0 {
                    tracing::info!("{label}: {unread} entries are not phone numbers");
                }
            }
            Err(problem) => {
                tracing::warn!("contacts not read from {label}: {problem}");
                names.add_problem(&label, problem);
            }
        }
    }
    if let Some(cache) = extension_cache {
        names.set_extensions(crate::extensions::load_cache(cache));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Contact;

    fn names() -> Names {
        let mut n = Names::new(Region::CA);
        let unread = n.add_contacts(
            "contacts.csv",
            &[
                Contact {
                    name: "Hélène Tremblay".into(),
                    numbers: vec!["514 555-1212".into(), "+33 1 42 76 49 78".into()],
                    line: Some(2),
                },
                Contact {
                    name: "Garbage".into(),
                    numbers: vec!["call me maybe".into()],
                    line: Some(3),
                },
            ],
        );
        assert_eq!(unread, 1);
        n.set_extensions(ExtensionNames::from([(
            "204".to_string(),
            "Julie Roy".to_string(),
        )]));
        n
    }

    #[test]
    fn a_name_matches_whatever_the_spelling() {
        let n = names();
        for raw in [
            "5145551212",
            "+15145551212",
            "1 (514) 555-1212",
            "15145551212",
        ] {
            assert_eq!(n.name_for(raw), Some("Hélène Tremblay"), "{raw}");
        }
        assert_eq!(n.name_for("011 33 1 42 76 49 78"), Some("Hélène Tremblay"));
        assert_eq!(n.name_for("204"), Some("Julie Roy"));
        assert_eq!(n.name_for("205"), None);
        assert_eq!(n.name_for("4165550000"), None);
        assert_eq!(n.name_for("anonymous"), None);
    }

    #[test]
    fn texts_in_each_language() {
        let n = names();
        let en = Language::English;
        let fr = Language::French;
        assert_eq!(
            n.name_and_number("5145551212", en),
            "Hélène Tremblay · (514) 555-1212"
        );
        assert_eq!(n.party_text("204", fr), "Julie Roy");
        assert_eq!(n.party_text("205", fr), "poste 205");
        assert_eq!(n.party_text("", en), "Unknown number");
        assert_eq!(n.number_text("+442079460958", en), "+44 20 7946 0958");
        assert_eq!(n.dialable("+1 514 555 1212"), "5145551212");
    }

    #[test]
    fn a_file_problem_is_told_in_each_language() {
        let e = crate::contacts::read_csv(b"Email,Phone\na@b.c,5145551234\n").unwrap_err();
        let fr = problem_text(&e, Language::French);
        assert!(
            fr.starts_with("ligne 1 : aucune colonne de nom dans la ligne d’en-tête"),
            "{fr}"
        );
        assert!(fr.ends_with("\"Email\", \"Phone\""), "{fr}");
        let en = problem_text(&e, Language::English);
        assert!(
            en.starts_with("line 1: no name column in the header row"),
            "{en}"
        );
    }

    #[test]
    fn lookup_explains_where_a_name_came_from() {
        let n = names();
        let e = n.explain("514-555-1212", Language::English);
        assert!(matches!(&e.party, Party::Phone { e164, .. } if e164 == "+15145551212"));
        let (name, source) = e.found.unwrap();
        assert_eq!(name, "Hélène Tremblay");
        assert_eq!(source, "contacts.csv, line 2");
        assert_eq!(n.explain("4165550000", Language::French).found, None);
        let (_, source) = n.explain("204", Language::French).found.unwrap();
        assert_eq!(source, "postes Ubity");
        assert_eq!(n.sources()[0].numbers, 2);
    }
}
