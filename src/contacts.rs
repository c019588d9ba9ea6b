//! The user's own contacts, read from CSV and vCard exports, so a ringing number can show a name.
//!
//! Two steps, both pure: [`read_csv`] and [`read_vcard`] turn one file's text into
//! [`Contact`]s (a name and the numbers as written), then a [`Directory`] files each number under
//! a key that the caller computes (E.164), remembering where the name came from.
//!
//! Exports differ wildly (Google, Outlook, Apple, a French Excel sheet), so reading is lenient:
//! a row or card that cannot be used is skipped, and only a file that cannot be contacts at all
//! (no name or phone column, no vCard in it) is an error.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;

use calcard::vcard::{VCard, VCardProperty, VCardValue};

/// Longer names are cut: a name is shown in a toast, and a runaway cell must not flood it.
const MAX_NAME_CHARS: usize = 200;

/// More numbers than this on one contact is a broken export, not a person.
const MAX_NUMBERS_PER_CONTACT: usize = 64;

/// How many headers an error lists: enough to spot the column, short enough to read.
const MAX_HEADERS_SHOWN: usize = 30;

/// One person or company from a contacts file, with every number it lists (as written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub numbers: Vec<String>,
    /// The line the contact starts on (CSV row, or `BEGIN:VCARD`), so a match can be traced.
    pub line: Option<u64>,
}

/// Why a contacts file could not be read, with the line when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", line_prefix(.line), .problem.english())]
pub struct SourceError {
    pub line: Option<u64>,
    pub problem: Problem,
}

/// What is wrong with a contacts file, as data: the words are chosen in the user's language
/// by whoever shows it ([`crate::names`]); [`Problem::english`] is for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The CSV reader gave up; its own words.
    NotCsv(String),
    /// The header row names no name column, no phone column, or neither; the headers seen.
    Columns {
        name: bool,
        phone: bool,
        seen: String,
    },
    /// Text with no `BEGIN:VCARD` line.
    NoVcard,
}

impl Problem {
    pub fn english(&self) -> String {
        match self {
            Problem::NotCsv(e) => format!("not readable as CSV: {e}"),
            Problem::Columns { name, phone, seen } => {
                let missing = match (name, phone) {
                    (false, false) => "no name column and no phone column",
                    (false, true) => "no name column",
                    _ => "no phone column",
                };
                format!(
                    "{missing} in the header row: expected headers such as \"Name\" (or \"First \
                     Name\" and \"Last Name\", \"Nom\", \"Prénom\", \"Company\") and \"Phone\" (or \
                     \"Mobile\", \"Téléphone\"); headers seen: {seen}"
                )
            }
            Problem::NoVcard => "no vCard in this file: expected a line \"BEGIN:VCARD\"".into(),
        }
    }
}

fn line_prefix(line: &Option<u64>) -> String {
    line.map(|n| format!("line {n}: ")).unwrap_or_default()
}

/// Where a name came from, for `calltray lookup` to explain a match: the source given to
/// [`Directory::add`] and the line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub source: String,
    pub line: Option<u64>,
}

/// Names by matching key. The key function is supplied by the caller (it normalises a number
/// to E.164, returning None for text that is no phone number); the directory never interprets
/// numbers itself, so matching stays the business of one module.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    entries: HashMap<String, Entry>,
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds contacts from one source; returns how many numbers could not be keyed (so the
    /// caller can warn). First source to claim a key keeps it (earlier files win), so the order
    /// of the user's list decides, not whichever file happened to load last.
    ///
    /// `source` prefixes the stored origin: a contact read from line 4 of it is recorded as
    /// "`source`, line 4".
    pub fn add(
        &mut self,
        source: &str,
        contacts: &[Contact],
        key: impl Fn(&str) -> Option<String>,
    ) -> usize {
        let mut unkeyed = 0;
        for contact in contacts {
            for number in &contact.numbers {
                let Some(k) = key(number) else {
                    unkeyed += 1;
                    continue;
                };
                if let Slot::Vacant(slot) = self.entries.entry(k) {
                    slot.insert(Entry {
                        name: contact.name.clone(),
                        source: source.to_string(),
                        line: contact.line,
                    });
                }
            }
        }
        unkeyed
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// How many keys (numbers) the directory knows, not how many contacts.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Text from a contacts file in whatever encoding its exporter chose: UTF-8 (BOM or not),
/// UTF-16 with a BOM (Excel's "Unicode text"), and otherwise Windows-1252, which is what
/// Outlook and French Excel write and which never fails: a wrong guess shows odd letters in a
/// name instead of refusing the whole file.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Cow::Owned(decode_utf16(rest, u16::from_le_bytes));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Cow::Owned(decode_utf16(rest, u16::from_be_bytes));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252 is Latin-1 except for 0x80..=0x9F, where it has typographic marks (and the
/// five unassigned bytes map to the C1 controls, as browsers do).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// A name fit for a toast: no control characters, single spaces, at most
/// [`MAX_NAME_CHARS`] characters.
fn clean_name(raw: &str) -> String {
    let words: Vec<&str> = raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    words.join(" ").chars().take(MAX_NAME_CHARS).collect()
}

/// Adds `number` unless it is blank, already listed, or the contact is full.
fn push_number(numbers: &mut Vec<String>, number: &str) {
    let number = number.trim();
    if !number.is_empty()
        && numbers.len() < MAX_NUMBERS_PER_CONTACT
        && !numbers.iter().any(|n| n == number)
    {
        numbers.push(number.to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// What a CSV column holds, judged from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    FullName,
    Given,
    Middle,
    Family,
    Company,
    Phone,
    Other,
}

/// Headers compared with accents, case, spaces and punctuation removed ("Prénom" = "prenom",
/// "First Name" = "first_name" = "FirstName").
const FULL_NAME: &[&str] = &[
    "name",
    "nom",
    "fullname",
    "displayname",
    "nomcomplet",
    "nomdaffichage",
    "nomaffiche",
    "contactname",
    "nomducontact",
];
const GIVEN: &[&str] = &[
    "firstname",
    "givenname",
    "prenom",
    "prenoms",
    "first",
    "given",
];
const MIDDLE: &[&str] = &[
    "middlename",
    "additionalname",
    "secondprenom",
    "deuxiemeprenom",
];
const FAMILY: &[&str] = &[
    "lastname",
    "familyname",
    "surname",
    "nomdefamille",
    "nomfamille",
    "last",
];
const COMPANY: &[&str] = &[
    "company",
    "companyname",
    "entreprise",
    "nomdelentreprise",
    "organization",
    "organisation",
    "organizationname",
    "organisationname",
    "organization1name",
    "societe",
    "compagnie",
];
/// Words that make a phone-like header something else: a fax line, Google's
/// "Phone 1 - Type" label column, Outlook's "Government ID Number".
const NOT_PHONE: &[&str] = &[
    "fax",
    "telecopie",
    "telecopieur",
    "type",
    "label",
    "etiquette",
    "libelle",
    "id",
];

/// Lowercase words of a header with accents folded to their base letter.
fn header_words(header: &str) -> Vec<String> {
    let mut folded = String::new();
    for c in header.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => folded.push('a'),
            'ç' => folded.push('c'),
            'è' | 'é' | 'ê' | 'ë' => folded.push('e'),
            'ì' | 'í' | 'î' | 'ï' => folded.push('i'),
            'ñ' => folded.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => folded.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => folded.push('u'),
            'ý' | 'ÿ' => folded.push('y'),
            'œ' => folded.push_str("oe"),
            'æ' => folded.push_str("ae"),
            c if c.is_ascii_alphanumeric() => folded.push(c),
            _ => folded.push(' '),
        }
    }
    folded.split_whitespace().map(str::to_string).collect()
}

fn classify(header: &str) -> Column {
    let words = header_words(header);
    let compact = words.concat();
    let is = |list: &[&str]| list.contains(&compact.as_str());
    if is(FULL_NAME) {
        Column::FullName
    } else if is(GIVEN) {
        Column::Given
    } else if is(MIDDLE) {
        Column::Middle
    } else if is(FAMILY) {
        Column::Family
    } else if is(COMPANY) {
        Column::Company
    } else if compact.contains("fax") || words.iter().any(|w| NOT_PHONE.contains(&w.as_str())) {
        Column::Other
    } else if words.iter().any(|w| is_phone_word(w)) {
        Column::Phone
    } else {
        Column::Other
    }
}

/// Whether one header word names a phone number. Words, not substrings, so "Phonetic First
/// Name" and "Telex" stay out while "HomePhone", "Tél." and "Tel2" get in.
fn is_phone_word(word: &str) -> bool {
    let tel_numbered = word
        .strip_prefix("tel")
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()));
    (word.contains("phone") && !word.starts_with("phonetic"))
        || tel_numbered
        || word.starts_with("mobile")
        || word.starts_with("cell")
        || word == "portable"
        || word == "gsm"
        || word.contains("number")
        || word.contains("numero")
}

/// The delimiter a header line uses: whichever of `,` `;` tab appears most outside quotes
/// (a French Excel export writes `;` because `,` is its decimal mark).
fn sniff_delimiter(header_line: &str) -> u8 {
    let (mut commas, mut semicolons, mut tabs) = (0, 0, 0);
    let mut quoted = false;
    for c in header_line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if semicolons > commas && semicolons >= tabs {
        b';'
    } else if tabs > commas && tabs > semicolons {
        b'\t'
    } else {
        b','
    }
}

/// Excel's `sep=;` first line names the delimiter outright.
fn excel_separator(first_line: &str) -> Option<u8> {
    let rest = first_line.trim_end_matches(['\r', '\n']);
    let sep = rest
        .get(..4)?
        .eq_ignore_ascii_case("sep=")
        .then(|| rest.get(4..))??;
    match sep.as_bytes() {
        [b] if b.is_ascii() && *b != b'"' => Some(*b),
        _ => None,
    }
}

/// Reads a CSV export: a header row, then one contact per row.
///
/// Columns are recognised by header in English or French ("Name", "First Name", "Prénom",
/// "Company", "Phone 1 - Value", "Téléphone", "Cellulaire"), case and accents aside; every
/// phone column is read, fax columns skipped, and Google's `a ::: b` multi-value cells split.
/// Rows without a name or a number are skipped. An empty file is simply no contacts.
pub fn read_csv(text: &[u8]) -> Result<Vec<Contact>, SourceError> {
    let decoded = decode_text(text);
    let text: &str = decoded.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let first_line = text.split('\n').next().unwrap_or_default();
    let (body_start, delimiter) = match excel_separator(first_line) {
        Some(sep) => (first_line.len() + 1, sep),
        None => (0, sniff_delimiter(first_line)),
    };
    let lines = LineIndex::new(text);
    let line_of = |position: Option<&csv::Position>| {
        position.map(|p| lines.line_at(body_start.saturating_add(p.byte() as usize)))
    };

    let body = text.get(body_start..).unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(body.as_bytes());
    let csv_error = |e: csv::Error| SourceError {
        line: line_of(e.position()),
        problem: Problem::NotCsv(e.to_string()),
    };
    let headers = reader.headers().map_err(csv_error)?.clone();
    let columns = Columns::from_headers(&headers, line_of(headers.position()))?;

    let mut contacts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let Some(name) = columns.name(&record) else {
            continue;
        };
        let mut numbers = Vec::new();
        for &i in &columns.phones {
            for number in record.get(i).unwrap_or_default().split(":::") {
                push_number(&mut numbers, number);
            }
        }
        if numbers.is_empty() {
            continue;
        }
        contacts.push(Contact {
            name,
            numbers,
            line: line_of(record.position()),
        });
    }
    Ok(contacts)
}

/// Line numbers from byte offsets. The csv crate counts lines itself, but a record after a
/// CRLF or after blank lines is reported on the line before it, and "line 4" must point at the
/// row the user sees in an editor.
struct LineIndex<'a> {
    text: &'a str,
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i);
        Self {
            text,
            newlines: newlines.collect(),
        }
    }

    /// The line of the first character at or after `byte` that is not a line break.
    fn line_at(&self, byte: usize) -> u64 {
        let breaks = self.text.as_bytes().get(byte..).unwrap_or_default();
        let start = byte
            + breaks
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
        self.newlines.partition_point(|&nl| nl < start) as u64 + 1
    }
}

/// Which column indexes hold what, in header order.
struct Columns {
    full: Vec<usize>,
    given: Vec<usize>,
    middle: Vec<usize>,
    family: Vec<usize>,
    company: Vec<usize>,
    phones: Vec<usize>,
}

impl Columns {
    fn from_headers(headers: &csv::StringRecord, line: Option<u64>) -> Result<Self, SourceError> {
        let mut columns = Columns {
            full: Vec::new(),
            given: Vec::new(),
            middle: Vec::new(),
            family: Vec::new(),
            company: Vec::new(),
            phones: Vec::new(),
        };
        for (i, header) in headers.iter().enumerate() {
            match classify(header) {
                Column::FullName => columns.full.push(i),
                Column::Given => columns.given.push(i),
                Column::Middle => columns.middle.push(i),
                Column::Family => columns.family.push(i),
                Column::Company => columns.company.push(i),
                Column::Phone => columns.phones.push(i),
                Column::Other => {}
            }
        }
        // "Prénom;Nom" is a French first/last pair: there "Nom" is the family name.
        if !columns.given.is_empty() && columns.family.is_empty() {
            let (nom, full): (Vec<usize>, Vec<usize>) = columns
                .full
                .iter()
                .partition(|&&i| header_words(headers.get(i).unwrap_or_default()) == ["nom"]);
            columns.family = nom;
            columns.full = full;
        }

        let no_name = columns.full.is_empty()
            && columns.given.is_empty()
            && columns.family.is_empty()
            && columns.company.is_empty();
        let no_phone = columns.phones.is_empty();
        if !no_name && !no_phone {
            return Ok(columns);
        }
        Err(SourceError {
            line,
            problem: Problem::Columns {
                name: !no_name,
                phone: !no_phone,
                seen: list_headers(headers),
            },
        })
    }

    /// The row's name: a full-name column, else given + middle + family, else the company.
    fn name(&self, record: &csv::StringRecord) -> Option<String> {
        let cell = |i: &usize| clean_name(record.get(*i).unwrap_or_default());
        let first = |cols: &[usize]| cols.iter().map(cell).find(|s| !s.is_empty());
        if let Some(full) = first(&self.full) {
            return Some(full);
        }
        let parts: Vec<String> = [&self.given, &self.middle, &self.family]
            .into_iter()
            .filter_map(|cols| first(cols))
            .collect();
        if !parts.is_empty() {
            return Some(clean_name(&parts.join(" ")));
        }
        first(&self.company)
    }
}

fn list_headers(headers: &csv::StringRecord) -> String {
    if headers.iter().all(|h| h.trim().is_empty()) {
        return "none".to_string();
    }
    let mut shown: Vec<String> = headers
        .iter()
        .take(MAX_HEADERS_SHOWN)
        .map(|h| {
            let h: String = clean_name(h).chars().take(40).collect();
            format!("\"{h}\"")
        })
        .collect();
    if headers.len() > MAX_HEADERS_SHOWN {
        shown.push(format!("and {} more", headers.len() - MAX_HEADERS_SHOWN));
    }
    shown.join(", ")
}

// ---------------------------------------------------------------------------------------------
// vCard

/// Reads a vCard file of any version (2.1, 3.0, 4.0), one contact per card.
///
/// The `calcard` crate does the parsing: it unfolds lines, decodes 2.1's QUOTED-PRINTABLE and
/// CHARSET, unescapes values and reads grouped properties (`item1.TEL`). This function only
/// splits the text at each `BEGIN:VCARD` so that every contact keeps its line. Lines that are
/// not vCard are ignored; a non-empty text with no card at all is an error.
pub fn read_vcard(text: &str) -> Result<Vec<Contact>, SourceError> {
    let mut contacts = Vec::new();
    let mut found_card = false;
    for (line, card_text) in split_cards(text) {
        found_card = true;
        let mut parser = calcard::Parser::new(card_text);
        let card = loop {
            match parser.entry() {
                calcard::Entry::VCard(card) => break Some(card),
                calcard::Entry::Eof => break None,
                _ => {}
            }
        };
        if let Some(contact) = card.and_then(|card| card_contact(&card, line)) {
            contacts.push(contact);
        }
    }
    let blank = text
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .is_empty();
    if !found_card && !blank {
        return Err(SourceError {
            line: None,
            problem: Problem::NoVcard,
        });
    }
    Ok(contacts)
}

/// Each card's text from its `BEGIN:VCARD` line to the next one, with that line's number.
fn split_cards(text: &str) -> Vec<(u64, &str)> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if bare.eq_ignore_ascii_case("BEGIN:VCARD") {
            starts.push((index as u64 + 1, offset));
        }
        offset += line.len();
    }
    let ends = starts.iter().skip(1).map(|&(_, o)| o).chain([text.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|(&(line, start), end)| (line, text.get(start..end).unwrap_or_default()))
        .collect()
}

/// A card's name (FN, else N's given + family, else ORG) and its TEL numbers.
fn card_contact(card: &VCard, line: u64) -> Option<Contact> {
    let mut numbers = Vec::new();
    for tel in card.properties(&VCardProperty::Tel) {
        if let Some(value) = tel.values.iter().find_map(value_text) {
            push_number(&mut numbers, tel_number(&value));
        }
    }
    if numbers.is_empty() {
        return None;
    }
    let name = formatted_name(card)
        .or_else(|| structured_name(card))
        .or_else(|| organization(card))?;
    Some(Contact {
        name,
        numbers,
        line: Some(line),
    })
}

fn value_text(value: &VCardValue) -> Option<String> {
    match value {
        VCardValue::Text(text) => Some(text.clone()),
        VCardValue::Component(parts) => Some(parts.join(" ")),
        _ => None,
    }
}

fn non_empty(name: String) -> Option<String> {
    (!name.is_empty()).then_some(name)
}

fn formatted_name(card: &VCard) -> Option<String> {
    card.properties(&VCardProperty::Fn).find_map(|p| {
        let parts: Vec<String> = p.values.iter().filter_map(value_text).collect();
        non_empty(clean_name(&parts.join(" ")))
    })
}

/// N is `family;given;additional;prefix;suffix`.
fn structured_name(card: &VCard) -> Option<String> {
    card.properties(&VCardProperty::N).find_map(|p| {
        let part = |i: usize| p.values.get(i).and_then(value_text).unwrap_or_default();
        non_empty(clean_name(&format!("{} {}", part(1), part(0))))
    })
}

/// ORG is `name;unit;...`: the organisation's name alone is what a caller would recognise.
fn organization(card: &VCard) -> Option<String> {
    card.properties(&VCardProperty::Org)
        .find_map(|p| p.values.first().and_then(value_text))
        .and_then(|org| non_empty(clean_name(&org)))
}

/// The number in a TEL value: a 4.0 `tel:+1-418-656-9254;ext=102` URI loses its scheme and
/// parameters; plain text (2.1, 3.0) is kept as written.
fn tel_number(value: &str) -> &str {
    let value = value.trim();
    match value.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => {
            let rest = &value[4..];
            rest.split(';').next().unwrap_or(rest)
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(contacts: &[Contact]) -> Vec<&str> {
        contacts.iter().map(|c| c.name.as_str()).collect()
    }

    fn contact(name: &str, numbers: &[&str], line: u64) -> Contact {
        Contact {
            name: name.to_string(),
            numbers: numbers.iter().map(|n| n.to_string()).collect(),
            line: Some(line),
        }
    }

    /// Stands in for the caller's E.164 normaliser: North American digits only.
    fn nanp_key(raw: &str) -> Option<String> {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        match digits.len() {
            10 => Some(format!("+1{digits}")),
            11 if digits.starts_with('1') => Some(format!("+{digits}")),
            _ => None,
        }
    }

    // --- CSV ----------------------------------------------------------------------------------

    #[test]
    fn google_csv_splits_multi_value_cells_and_skips_label_columns() {
        let text = "Name,Given Name,Additional Name,Family Name,Yomi Name,Phonetic First Name,\
Organization 1 - Name,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value\n\
Hélène Tremblay,Hélène,,Tremblay,,,,* Mobile,+1 514-555-0101 ::: +1 514-555-0102,Work,(514) 555-0103\n\
,,,,,,Acme Inc.,Main,514 555 0199,,\n\
No Number,,,,,,,Mobile,,,\n";
        let contacts = read_csv(text.as_bytes()).unwrap();
        assert_eq!(
            contacts,
            [
                contact(
                    "Hélène Tremblay",
                    &["+1 514-555-0101", "+1 514-555-0102", "(514) 555-0103"],
                    2
                ),
                contact("Acme Inc.", &["514 555 0199"], 3),
            ]
        );
    }

    #[test]
    fn new_google_csv_uses_first_middle_last() {
        let text = "First Name,Middle Name,Last Name,Phonetic Last Name,Nickname,\
Organization Name,Phone 1 - Label,Phone 1 - Value\n\
Jean,Paul,Gagnon,,JP,,Mobile,+15145550110\n";
        let contacts = read_csv(text.as_bytes()).unwrap();
        assert_eq!(
            contacts,
            [contact("Jean Paul Gagnon", &["+15145550110"], 2)]
        );
    }

    #[test]
    fn outlook_csv_reads_every_phone_but_fax_and_ids() {
        let text = "\"Title\",\"First Name\",\"Middle Name\",\"Last Name\",\"Suffix\",\"Company\",\
\"Business Fax\",\"Business Phone\",\"Business Phone 2\",\"Home Phone\",\"Mobile Phone\",\
\"Government ID Number\",\"Telex\",\"E-mail Address\"\r\n\
\"\",\"John\",\"\",\"Smith\",\"\",\"Contoso\",\"514-555-0000\",\"514-555-0120\",\"\",\
\"514-555-0121\",\"438-555-0122\",\"123456789\",\"99\",\"john@example.com\"\r\n\
\"\",\"\",\"\",\"\",\"\",\"Contoso Ltd, Montréal\",\"\",\"514-555-0130\",\"\",\"\",\"\",\"\",\"\",\"\"\r\n";
        let contacts = read_csv(text.as_bytes()).unwrap();
        assert_eq!(
            contacts,
            [
                contact(
                    "John Smith",
                    &["514-555-0120", "514-555-0121", "438-555-0122"],
                    2
                ),
                contact("Contoso Ltd, Montréal", &["514-555-0130"], 3),
            ]
        );
    }

    #[test]
    fn french_semicolon_csv_in_windows_1252() {
        let text = b"Pr\xe9nom;Nom;T\xe9l\xe9phone;T\xe9l\xe9copieur;Cellulaire\r\n\
H\xe9l\xe8ne;C\xf4t\xe9;514 555-1212;514 555-0000;\r\n\
Fran\xe7ois;L\x92Heureux;;;438 555-3434\r\n";
        let contacts = read_csv(text).unwrap();
        assert_eq!(
            contacts,
            [
                contact("Hélène Côté", &["514 555-1212"], 2),
                contact("François L’Heureux", &["438 555-3434"], 3),
            ]
        );
    }

    #[test]
    fn nom_alone_is_the_full_name() {
        let text = "Nom;Numéro\nÉcole Saint-Jean;514 555 1000\n";
        assert_eq!(
            names(&read_csv(text.as_bytes()).unwrap()),
            ["École Saint-Jean"]
        );
    }

    #[test]
    fn bom_is_skipped() {
        let text = b"\xEF\xBB\xBFName,Phone\nAnne,5145551234\n";
        assert_eq!(
            read_csv(text).unwrap(),
            [contact("Anne", &["5145551234"], 2)]
        );
    }

    #[test]
    fn utf16_tab_separated_from_excel() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Nom\tTéléphone\r\nHélène\t514 555 1212\r\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(
            read_csv(&bytes).unwrap(),
            [contact("Hélène", &["514 555 1212"], 2)]
        );
    }

    #[test]
    fn excel_sep_line_names_the_delimiter_and_lines_still_count() {
        let text = "sep=;\r\nName;Phone, main\r\nAnne, Marie;514 555 1234\r\n";
        assert_eq!(
            read_csv(text.as_bytes()).unwrap(),
            [contact("Anne, Marie", &["514 555 1234"], 3)]
        );
    }

    #[test]
    fn quoted_commas_do_not_fool_the_sniffer_and_lines_follow_multiline_cells() {
        let text = "\"Name; or company\";\"Mobile\";\"Notes, free text\"\n\
\"Anne\";\"514 555 1234\";\"line one\nline two\"\n\
\"Bob\";\"514 555 9876\";\"\"\n";
        // "Name; or company" is no header we know: the sniffer must still pick `;`.
        assert_eq!(sniff_delimiter(text.lines().next().unwrap()), b';');
        let text = text.replace("Name; or company", "Name");
        let contacts = read_csv(text.as_bytes()).unwrap();
        assert_eq!(contacts[1], contact("Bob", &["514 555 9876"], 4));
    }

    #[test]
    fn rows_without_name_or_number_are_skipped_and_duplicates_dropped() {
        let text = "name,phone,mobile\n,5145551111,\nAnne,,\nBob,514 555 2222,514 555 2222\n";
        assert_eq!(
            read_csv(text.as_bytes()).unwrap(),
            [contact("Bob", &["514 555 2222"], 4)]
        );
    }

    #[test]
    fn missing_columns_are_named_with_the_headers_seen() {
        let err = read_csv(b"Email,Phone\na@b.c,5145551234\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(
            err.problem
                .english()
                .starts_with("no name column in the header row")
        );
        assert!(
            err.to_string()
                .ends_with("headers seen: \"Email\", \"Phone\"")
        );
        assert!(err.to_string().starts_with("line 1: no name column"));

        let err = read_csv(b"\n\nName,Fax\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.problem.english().starts_with("no phone column"),
            "{err}"
        );

        let err = read_csv(b"a;b\n").unwrap_err();
        assert!(
            err.problem
                .english()
                .starts_with("no name column and no phone column")
        );
    }

    #[test]
    fn empty_and_header_only_files_have_no_contacts() {
        assert_eq!(read_csv(b""), Ok(vec![]));
        assert_eq!(read_csv(b"\xEF\xBB\xBF \r\n"), Ok(vec![]));
        assert_eq!(read_csv(b"Name,Phone\r\n"), Ok(vec![]));
    }

    #[test]
    fn names_are_cleaned_and_capped() {
        let long = "x".repeat(300);
        let text = format!("Name,Phone\n\"  Anne \t\u{7}Marie\n Roy \",1\n{long},2\n");
        let contacts = read_csv(text.as_bytes()).unwrap();
        assert_eq!(contacts[0].name, "Anne Marie Roy");
        assert_eq!(contacts[1].name.chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn numbers_per_contact_are_capped() {
        let cell: Vec<String> = (0..100).map(|i| format!("514555{i:04}")).collect();
        let text = format!("Name,Phone\nMany,{}\n", cell.join(" ::: "));
        let contacts = read_csv(text.as_bytes()).unwrap();
        assert_eq!(contacts[0].numbers.len(), MAX_NUMBERS_PER_CONTACT);
    }

    #[test]
    fn headers_are_recognised_across_spellings() {
        for header in [
            "Téléphone",
            "Tél.",
            "TEL2",
            "HomePhone",
            "Cell",
            "Numéro",
            "Portable",
        ] {
            assert_eq!(classify(header), Column::Phone, "{header}");
        }
        for header in [
            "Home Fax",
            "Télécopieur",
            "Phone 1 - Type",
            "Telex",
            "Phonetic Name",
        ] {
            assert_eq!(classify(header), Column::Other, "{header}");
        }
        assert_eq!(classify("PRÉNOM"), Column::Given);
        assert_eq!(classify("last_name"), Column::Family);
        assert_eq!(classify("Nom de famille"), Column::Family);
        assert_eq!(classify("Display Name"), Column::FullName);
        assert_eq!(classify("Société"), Column::Company);
    }

    // --- vCard --------------------------------------------------------------------------------

    const VCARD_21: &str = "BEGIN:VCARD\r\nVERSION:2.1\r\n\
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Tremblay;H=C3=A9l=C3=A8ne;;;\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:H=C3=A9l=C3=A8ne Tremblay, Soci=C3=A9t=C3=A9 G=\r\n\
=C3=A9n=C3=A9rale\r\n\
TEL;WORK;VOICE:(514) 555-1212\r\nTEL;CELL:+1 438 555 0000\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:2.1\r\n\
N;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:C=F4t=E9;Ren=E9e\r\n\
PHOTO;ENCODING=BASE64;TYPE=JPEG:\r\n /9j/4AAQSkZJRgABAQEASABIAAD/2wBD\r\n\r\n\
TEL;PREF;HOME:514.555.7777\r\nEND:VCARD\r\n";

    const VCARD_30: &str = "BEGIN:VCARD\nVERSION:3.0\n\
PRODID:-//Apple Inc.//iPhone OS 17.0//EN\n\
N:Gagnon;Jean-François;;;\nFN:Jean-François  Gagnon\n\
item1.TEL;type=CELL;type=VOICE;type=pref:+1 514-555-0101\n\
item1.X-ABLabel:_$!<Mobile>!$_\nitem2.TEL:514 555 0102\n\
NOTE:A long note folded across two lines because exporters fold at seve\n nty-five octets\n\
END:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nORG:Acme\\, Inc.;Sales\n\
TEL;TYPE=WORK,VOICE:+1 (514) 555-0199\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nFN:Anne-Marie \n Lavoie\nTEL:5145550303\nEND:VCARD\n";

    const VCARD_40: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon Perreault\r\n\
N:Perreault;Simon;;;ing. jr,M.Sc.\r\n\
TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102\r\n\
TEL;VALUE=uri;TYPE=\"work,cell,voice,video,text\":tel:+1-418-262-6501\r\n\
END:VCARD\r\n";

    #[test]
    fn vcard_21_quoted_printable_and_charsets() {
        let contacts = read_vcard(VCARD_21).unwrap();
        assert_eq!(
            contacts,
            [
                contact(
                    "Hélène Tremblay, Société Générale",
                    &["(514) 555-1212", "+1 438 555 0000"],
                    1
                ),
                contact("Renée Côté", &["514.555.7777"], 9),
            ]
        );
    }

    #[test]
    fn vcard_30_grouped_folded_escaped() {
        let contacts = read_vcard(VCARD_30).unwrap();
        assert_eq!(
            contacts,
            [
                contact(
                    "Jean-François Gagnon",
                    &["+1 514-555-0101", "514 555 0102"],
                    1
                ),
                contact("Acme, Inc.", &["+1 (514) 555-0199"], 12),
                contact("Anne-Marie Lavoie", &["5145550303"], 18),
            ]
        );
    }

    #[test]
    fn vcard_40_tel_uris_lose_scheme_and_extension() {
        let contacts = read_vcard(VCARD_40).unwrap();
        assert_eq!(
            contacts,
            [contact(
                "Simon Perreault",
                &["+1-418-656-9254", "+1-418-262-6501"],
                1
            )]
        );
    }

    #[test]
    fn vcard_name_falls_back_to_n_then_org_and_cards_without_numbers_are_skipped() {
        let text = "\u{feff}begin:vcard\nversion:3.0\nn:Roy;Luc;;;\ntel:1\nend:vcard\n\
BEGIN:VCARD\nVERSION:3.0\nFN:No Phone\nEMAIL:a@b.c\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nTEL:2\nEND:VCARD\n\
garbage between cards\n\
BEGIN:VCARD\nVERSION:3.0\nFN:Unterminated\nTEL:3\n";
        assert_eq!(
            read_vcard(text).unwrap(),
            [
                contact("Luc Roy", &["1"], 1),
                contact("Unterminated", &["3"], 16)
            ]
        );
    }

    #[test]
    fn vcard_garbage_is_an_error_and_empty_is_nothing() {
        assert_eq!(read_vcard(""), Ok(vec![]));
        assert_eq!(read_vcard("\u{feff}\r\n  \n"), Ok(vec![]));
        let err = read_vcard("Name,Phone\nAnne,1\n").unwrap_err();
        assert_eq!(err.line, None);
        assert!(err.to_string().starts_with("no vCard in this file"));
    }

    #[test]
    fn tel_numbers() {
        assert_eq!(tel_number("tel:+1-514-555-1212"), "+1-514-555-1212");
        assert_eq!(tel_number(" TEL:5551212;phone-context=+1514 "), "5551212");
        assert_eq!(
            tel_number("+1 514 555 1212 ext. 4"),
            "+1 514 555 1212 ext. 4"
        );
        assert_eq!(tel_number("tél"), "tél");
    }

    // --- Directory ----------------------------------------------------------------------------

    #[test]
    fn first_source_to_claim_a_number_keeps_it() {
        let work =
            read_csv(b"Name,Phone\nAnne,514-555-1234\nAnne again,+1 514 555 1234\n").unwrap();
        let phone = read_vcard(
            "BEGIN:VCARD\nVERSION:4.0\nFN:Bob\nTEL;VALUE=uri:tel:+1-514-555-1234\n\
TEL:not a number\nTEL:5145559999\nEND:VCARD\n",
        )
        .unwrap();
        let mut directory = Directory::new();
        assert!(directory.is_empty());
        assert_eq!(directory.add("work.csv", &work, nanp_key), 0);
        assert_eq!(directory.add("phone.vcf", &phone, nanp_key), 1);
        assert_eq!(directory.len(), 2);
        assert_eq!(
            directory.get("+15145551234"),
            Some(&Entry {
                name: "Anne".into(),
                source: "work.csv".into(),
                line: Some(2),
            })
        );
        assert_eq!(
            directory
                .get("+15145559999")
                .map(|e| (e.source.as_str(), e.line)),
            Some(("phone.vcf", Some(1)))
        );
        assert_eq!(directory.get("5145551234"), None);
    }

    // --- Garbage ------------------------------------------------------------------------------

    /// A tiny xorshift generator: reproducible noise without a test dependency.
    struct Noise(u64);
    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"BEGIN:VCARD\r\nEND;,\t\"=:.tel:TEL;FN:N:ORG:\xC3\xA9\xE9\xFF\xFE\x00 ";
        for round in 0..3000 {
            let len = noise.below(300);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if round % 2 == 0 {
                        noise.next() as u8
                    } else {
                        alphabet[noise.below(alphabet.len())]
                    }
                })
                .collect();
            let _ = read_csv(&bytes);
            let _ = read_vcard(&decode_text(&bytes));
        }
    }

    #[test]
    fn mangled_samples_never_panic() {
        let mut noise = Noise(42);
        let csv_sample = "\"First Name\",\"Last Name\",\"Mobile Phone\"\r\nA,B,\"1 ::: 2\"\r\n";
        let samples = [VCARD_21, VCARD_30, VCARD_40, csv_sample];
        for _ in 0..2000 {
            let mut bytes = samples[noise.below(samples.len())].as_bytes().to_vec();
            for _ in 0..=noise.below(8) {
                let at = noise.below(bytes.len());
                match noise.below(3) {
                    0 => bytes[at] = noise.next() as u8,
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.truncate(at),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let _ = read_csv(&bytes);
            let _ = read_vcard(&decode_text(&bytes));
        }
    }
}
