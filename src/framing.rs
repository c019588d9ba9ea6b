//! Where one HTTP request ends, and whether it is too big, before anyone spends a thread on it.
//!
//! tiny_http reads header lines without a size limit and gives every connection a thread, so
//! the connection guard ([`crate::guard`]) reads requests itself, without threads, and hands
//! tiny_http only requests that are whole and within these limits. This module is the pure
//! part of that: given the bytes received so far, is the request complete, still arriving,
//! or refused, and what exactly is forwarded. Nothing here does I/O or looks at the clock.

use std::net::IpAddr;

/// The longest request target accepted (the secret path, three parameters and room to spare).
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// The longest header line.
pub const MAX_HEADER_LINE: usize = 8 * 1024;
/// The most header lines in one request.
pub const MAX_HEADERS: usize = 64;
/// The largest request head (request line and headers together).
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// The largest form body read; Ubity's parameters fit in a fraction of this.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The most bytes a chunked body may take on the wire (chunk sizes, extensions and trailers
/// included): framing must not let a body of one-byte chunks cost more than a few times its size.
const MAX_CHUNKED_WIRE: usize = 4 * MAX_BODY_BYTES;
/// The longest chunk-size line (size and extensions).
const MAX_CHUNK_LINE: usize = 1024;

/// The header through which the guard tells tiny_http who the TCP peer was. Whatever a client
/// sends under this name is dropped, so only the guard can set it.
pub const PEER_HEADER: &str = "X-Calltray-Peer";

/// Headers about the client's connection to the guard, not for tiny_http. `TE` above all:
/// tiny_http would answer `TE: chunked` with a chunked body, which the guard does not frame.
const HOP_BY_HOP: [&str; 5] = ["Keep-Alive", "Upgrade", "TE", "Trailer", "Proxy-Connection"];

/// A request refused by the framing rules: answered by the guard, then the connection closes
/// (after a framing error, nobody knows where the next request would start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub reason: String,
}

fn refused(status: u16, reason: impl Into<String>) -> Refused {
    Refused {
        status,
        reason: reason.into(),
    }
}

/// How far the guard got in looking for the end of a request head; kept between reads so that
/// bytes arriving one at a time are each looked at once.
#[derive(Debug, Default, Clone)]
struct HeadScan {
    scanned: usize,
    line_start: usize,
    lines: usize,
}

/// Looks through the newly arrived bytes for the blank line that ends the request head,
/// refusing as soon as a line or the head passes its limit. `Ok(Some(n))`: the head is the
/// first `n` bytes.
fn scan_head(buf: &[u8], scan: &mut HeadScan) -> Result<Option<usize>, Refused> {
    while scan.scanned < buf.len() {
        let i = scan.scanned;
        scan.scanned += 1;
        if buf[i] != b'\n' {
            continue;
        }
        let mut line = &buf[scan.line_start..i];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        scan.line_start = i + 1;
        if scan.line_start > MAX_HEAD_BYTES {
            return Err(head_too_large());
        }
        if line.is_empty() {
            if scan.lines > 0 {
                return Ok(Some(i + 1));
            }
            // Blank lines before the request line are tolerated (RFC 9112, 2.2).
            continue;
        }
        check_line(line.len(), scan.lines)?;
        scan.lines += 1;
        if scan.lines > MAX_HEADERS + 1 {
            return Err(refused(
                431,
                format!("more than {MAX_HEADERS} header lines"),
            ));
        }
    }
    // The line still arriving counts too: a header line of a gigabyte is refused at its limit.
    check_line(buf.len() - scan.line_start, scan.lines)?;
    if buf.len() > MAX_HEAD_BYTES {
        return Err(head_too_large());
    }
    Ok(None)
}

fn head_too_large() -> Refused {
    refused(
        431,
        format!("request head larger than {MAX_HEAD_BYTES} bytes"),
    )
}

fn check_line(len: usize, index: usize) -> Result<(), Refused> {
    // The request line holds the method and version around the URL.
    if index == 0 && len > MAX_URL_BYTES + 32 {
        return Err(refused(
            414,
            format!("URL longer than {MAX_URL_BYTES} bytes"),
        ));
    }
    if index > 0 && len > MAX_HEADER_LINE {
        return Err(refused(
            431,
            format!("a header line is longer than {MAX_HEADER_LINE} bytes"),
        ));
    }
    Ok(())
}

/// How the body of a request is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Length(usize),
    Chunked,
}

/// A request head that passed the framing rules.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    /// Length of the head in the buffer.
    pub len: usize,
    pub body: BodyKind,
    /// The client sent `Expect: 100-continue` and waits for a go-ahead before its body.
    pub expects_continue: bool,
    /// Whether the connection stays open after the answer.
    pub keep_alive: bool,
    /// `HEAD`: the answer has headers only.
    pub head_only: bool,
    /// HTTP/1.0, where keeping the connection open has to be said.
    http10: bool,
    /// The head as forwarded: the client's request line and headers, without the ones that
    /// frame the message or name the peer, plus the guard's own.
    forwarded: Vec<u8>,
}

/// Parses a complete head (as found by [`scan_head`]) and decides how its body is framed.
fn parse_head(head: &[u8], peer: IpAddr) -> Result<Head, Refused> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(refused(400, "malformed request head"));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(refused(
                431,
                format!("more than {MAX_HEADERS} header lines"),
            ));
        }
        Err(e) => return Err(refused(400, format!("malformed request head: {e}"))),
    }
    let (Some(method), Some(path), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(refused(400, "malformed request line"));
    };
    if !path.is_ascii() {
        return Err(refused(
            400,
            "the URL has bytes that are not ASCII; percent-encode them",
        ));
    }
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut expects_continue = false;
    let mut close = minor == 0;
    let mut forwarded = format!("{method} {path} HTTP/1.{minor}\r\n").into_bytes();
    for h in request.headers.iter() {
        let name = h.name;
        let Ok(value) = std::str::from_utf8(h.value) else {
            return Err(refused(400, format!("header {name} is not ASCII")));
        };
        if !value.is_ascii() {
            return Err(refused(400, format!("header {name} is not ASCII")));
        }
        let value = value.trim();
        if name.eq_ignore_ascii_case("Content-Length") {
            // Digits only: Rust's parser would also take a leading `+`.
            let n: usize = Some(value)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| refused(400, "Content-Length is not a number"))?;
            if length.is_some_and(|m| m != n) {
                return Err(refused(400, "conflicting Content-Length headers"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("Transfer-Encoding") {
            if !value.eq_ignore_ascii_case("chunked") {
                // RFC 9112 suggests 501; calltray answers every bad request with a 4xx, so a
                // sender's mistake is never taken for a fault of calltray's.
                return Err(refused(
                    400,
                    format!(
                        "Transfer-Encoding {value:?} is not supported; send chunked or a Content-Length"
                    ),
                ));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("Expect") {
            if !value.eq_ignore_ascii_case("100-continue") {
                return Err(refused(417, format!("Expect {value:?} is not supported")));
            }
            // HTTP/1.0 clients do not know 100 Continue (RFC 9110, 10.1.1).
            expects_continue = minor == 1;
        } else if name.eq_ignore_ascii_case("Connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") || token.eq_ignore_ascii_case("upgrade") {
                    close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    close = false;
                }
            }
        } else if !(HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
            || name.eq_ignore_ascii_case(PEER_HEADER))
        {
            forwarded.extend_from_slice(name.as_bytes());
            forwarded.extend_from_slice(b": ");
            forwarded.extend_from_slice(value.as_bytes());
            forwarded.extend_from_slice(b"\r\n");
        }
    }
    let body = match (chunked, length) {
        (true, Some(_)) => {
            // Two framings at once is how requests are smuggled past proxies.
            return Err(refused(
                400,
                "both Content-Length and Transfer-Encoding were sent",
            ));
        }
        (true, None) => BodyKind::Chunked,
        (false, n) => BodyKind::Length(n.unwrap_or(0)),
    };
    if let BodyKind::Length(n) = body
        && n > MAX_BODY_BYTES
    {
        return Err(too_large());
    }
    // tiny_http keeps the internal connection open only when told to, whatever the client said.
    forwarded.extend_from_slice(
        format!("{PEER_HEADER}: {peer}\r\nConnection: keep-alive\r\n").as_bytes(),
    );
    Ok(Head {
        len: head.len(),
        body,
        expects_continue,
        keep_alive: !close,
        head_only: method == "HEAD",
        http10: minor == 0,
        forwarded,
    })
}

fn too_large() -> Refused {
    refused(413, format!("body larger than {MAX_BODY_BYTES} bytes"))
}

/// A request received whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whole {
    /// How many bytes of the buffer it took (the rest is the next, pipelined, request).
    pub consumed: usize,
    /// The request as tiny_http gets it: the forwarded head and the body with its length.
    pub forwarded: Vec<u8>,
    /// Whether the connection stays open after the answer.
    pub keep_alive: bool,
    /// `HEAD`: the answer has headers only.
    pub head_only: bool,
    /// HTTP/1.0, where keeping the connection open has to be said.
    pub http10: bool,
}

/// Whether the body after `head` has arrived in full. `buf` starts with the head.
fn body_complete(buf: &[u8], head: &Head) -> Result<Option<Whole>, Refused> {
    let rest = &buf[head.len..];
    let (body, consumed) = match head.body {
        BodyKind::Length(n) => {
            if rest.len() < n {
                return Ok(None);
            }
            (rest[..n].to_vec(), head.len + n)
        }
        BodyKind::Chunked => match dechunk(rest)? {
            Some((body, used)) => (body, head.len + used),
            None => return Ok(None),
        },
    };
    let mut forwarded = head.forwarded.clone();
    if !body.is_empty() || head.body != BodyKind::Length(0) {
        forwarded.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    forwarded.extend_from_slice(b"\r\n");
    forwarded.extend_from_slice(&body);
    Ok(Some(Whole {
        consumed,
        forwarded,
        keep_alive: head.keep_alive,
        head_only: head.head_only,
        http10: head.http10,
    }))
}

/// Where one connection's current request stands: fed the connection's buffer after each
/// read, it says whether a whole request is in.
#[derive(Debug, Default)]
pub struct Framer {
    scan: HeadScan,
    head: Option<Head>,
    continue_sent: bool,
}

/// What a [`Framer`] made of the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Not all there yet; `send_continue`: the client waits for `100 Continue` before its body
    /// (said once per request).
    More { send_continue: bool },
    /// A whole request: the caller drops `consumed` bytes from its buffer, and the framer is
    /// ready for the next request.
    Whole(Whole),
}

impl Framer {
    /// Looks at `buf` (everything received and not yet consumed) for a whole request.
    pub fn advance(&mut self, buf: &[u8], peer: IpAddr) -> Result<Progress, Refused> {
        if self.head.is_none() {
            match scan_head(buf, &mut self.scan)? {
                Some(n) => self.head = Some(parse_head(&buf[..n], peer)?),
                None => {
                    return Ok(Progress::More {
                        send_continue: false,
                    });
                }
            }
        }
        let Some(head) = &self.head else {
            return Ok(Progress::More {
                send_continue: false,
            });
        };
        match body_complete(buf, head)? {
            Some(whole) => {
                *self = Framer::default();
                Ok(Progress::Whole(whole))
            }
            None => {
                let send_continue = head.expects_continue && !self.continue_sent;
                self.continue_sent |= send_continue;
                Ok(Progress::More { send_continue })
            }
        }
    }
}

/// Frames `bytes` as if they arrived in reads of `step` bytes: the first whole request, the
/// refusal, or `None` if the request is not over. For tests and the fuzzer, which check that
/// the answer does not depend on `step`.
pub fn frame_in_pieces(bytes: &[u8], step: usize, peer: IpAddr) -> Result<Option<Whole>, Refused> {
    let mut framer = Framer::default();
    let mut buf = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        if let Progress::Whole(whole) = framer.advance(&buf, peer)? {
            return Ok(Some(whole));
        }
    }
    Ok(None)
}

/// Decodes a chunked body: `Ok(Some((body, bytes used)))` once its last chunk and trailers are in.
fn dechunk(wire: &[u8]) -> Result<Option<(Vec<u8>, usize)>, Refused> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        if pos > MAX_CHUNKED_WIRE {
            return Err(too_large());
        }
        let (start, size) = match httparse::parse_chunk_size(&wire[pos..]) {
            // The same limit whether the line came in one read or in many (found by fuzzing).
            Ok(httparse::Status::Complete((start, _))) if start > MAX_CHUNK_LINE => {
                return Err(refused(400, "malformed chunked body"));
            }
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return partial_chunk(wire.len() - pos),
            Err(_) => return Err(refused(400, "malformed chunked body")),
        };
        pos += start;
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size == 0 {
            return trailers(wire, pos).map(|end| end.map(|end| (body, end)));
        }
        if size > MAX_BODY_BYTES - body.len() {
            return Err(too_large());
        }
        if wire.len() < pos + size + 2 {
            return Ok(None);
        }
        if &wire[pos + size..pos + size + 2] != b"\r\n" {
            return Err(refused(400, "malformed chunked body"));
        }
        body.extend_from_slice(&wire[pos..pos + size]);
        pos += size + 2;
    }
}

fn partial_chunk(pending: usize) -> Result<Option<(Vec<u8>, usize)>, Refused> {
    // A chunk-size line is a few hex digits; a long one is an attack, not a partial read.
    if pending > MAX_CHUNK_LINE {
        return Err(refused(400, "malformed chunked body"));
    }
    Ok(None)
}

/// Skips the trailer lines after the last chunk; `Some(end)` once the blank line is in.
fn trailers(wire: &[u8], mut pos: usize) -> Result<Option<usize>, Refused> {
    loop {
        let Some(nl) = wire[pos..].iter().position(|&b| b == b'\n') else {
            return if wire.len() - pos > MAX_HEADER_LINE {
                Err(refused(431, "a trailer line is too long"))
            } else {
                Ok(None)
            };
        };
        let line = &wire[pos..pos + nl];
        pos += nl + 1;
        if line.is_empty() || line == b"\r" {
            return Ok(Some(pos));
        }
        if pos > MAX_CHUNKED_WIRE {
            return Err(too_large());
        }
    }
}

/// Says in tiny_http's answer what becomes of the connection, which only the guard knows:
/// closed after it, or (for HTTP/1.0, where closing is the default) kept open.
pub fn announce_connection(response: &mut Vec<u8>, keep_alive: bool, http10: bool) {
    let header: &[u8] = match (keep_alive, http10) {
        (false, _) => b"Connection: close\r\n",
        (true, true) => b"Connection: keep-alive\r\n",
        (true, false) => return,
    };
    if let Some(end) = response.windows(2).position(|w| w == b"\r\n") {
        response.splice(end + 2..end + 2, header.iter().copied());
    }
}

/// The standard phrase for the statuses calltray sends.
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A complete response with a one-line plain-text reason, for answers the guard gives itself.
pub fn plain_response(status: u16, reason: &str, close: bool) -> Vec<u8> {
    let body = format!("{reason}\n");
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{connection}\r\n{body}",
        status_text(status),
        body.len(),
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));

    fn frame(bytes: &[u8], step: usize) -> Result<Option<Whole>, Refused> {
        frame_in_pieces(bytes, step, PEER)
    }

    fn text(whole: &Whole) -> String {
        String::from_utf8_lossy(&whole.forwarded).into_owned()
    }

    #[test]
    fn a_get_is_forwarded_with_the_peer_and_keep_alive() {
        for step in [1, 7, 4096] {
            let whole = frame(
                b"GET /init?callid=1 HTTP/1.1\r\nHost: x\r\nX-Calltray-Peer: 10.0.0.1\r\nTE: chunked\r\nConnection: close\r\n\r\n",
                step,
            )
            .unwrap()
            .unwrap();
            assert_eq!(
                text(&whole),
                "GET /init?callid=1 HTTP/1.1\r\nHost: x\r\nX-Calltray-Peer: 203.0.113.9\r\nConnection: keep-alive\r\n\r\n"
            );
        }
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        let head = |raw: &str| {
            let mut scan = HeadScan::default();
            let n = scan_head(raw.as_bytes(), &mut scan).unwrap().unwrap();
            parse_head(&raw.as_bytes()[..n], PEER).unwrap()
        };
        assert!(head("GET / HTTP/1.1\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(head("HEAD / HTTP/1.1\r\n\r\n").head_only);
        assert!(
            head("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
                .expects_continue
        );
    }

    #[test]
    fn bodies_by_length_and_chunked_arrive_whole_and_pipelined_bytes_stay() {
        let raw = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n";
        let whole = frame(raw, 3).unwrap().unwrap();
        assert_eq!(&raw[whole.consumed..], b"GET /b HTTP/1.1\r\n\r\n");
        assert!(text(&whole).ends_with("Content-Length: 5\r\n\r\nhello"));

        let raw = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nTrailer: t\r\n\r\n";
        for step in [1, 5, 4096] {
            let whole = frame(raw, step).unwrap().unwrap();
            assert_eq!(whole.consumed, raw.len());
            let t = text(&whole);
            assert!(t.ends_with("Content-Length: 5\r\n\r\nhello"), "{t}");
            assert!(!t.contains("chunked"));
        }
        assert_eq!(
            frame(b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel", 4),
            Ok(None)
        );
    }

    #[test]
    fn limits_are_refused_as_soon_as_they_are_passed() {
        let status = |raw: Vec<u8>| frame(&raw, 4096).map(|_| 0).unwrap_or_else(|r| r.status);
        let url = "a".repeat(MAX_URL_BYTES + 100);
        assert_eq!(status(format!("GET /{url}").into_bytes()), 414);
        let line = "v".repeat(MAX_HEADER_LINE + 1);
        assert_eq!(
            status(format!("GET / HTTP/1.1\r\nX: {line}").into_bytes()),
            431
        );
        let many = "X: y\r\n".repeat(MAX_HEADERS + 1);
        assert_eq!(
            status(format!("GET / HTTP/1.1\r\n{many}\r\n").into_bytes()),
            431
        );
        let big = format!("X: {}\r\n", "v".repeat(4000)).repeat(10);
        assert_eq!(
            status(format!("GET / HTTP/1.1\r\n{big}\r\n").into_bytes()),
            431
        );
        let n = MAX_BODY_BYTES + 1;
        assert_eq!(
            status(format!("POST / HTTP/1.1\r\nContent-Length: {n}\r\n\r\n").into_bytes()),
            413
        );
        let mut chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..20 {
            chunked.extend_from_slice(format!("400\r\n{}\r\n", "x".repeat(1024)).as_bytes());
        }
        assert_eq!(status(chunked), 413);
        // A chunk line over 1 KiB, whole in one read or not (found by fuzzing).
        let mut long_line = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0;".to_vec();
        long_line.extend(b"x".repeat(2000));
        long_line.extend(b"\r\n\r\n");
        for step in [1, 100, long_line.len()] {
            assert_eq!(
                frame(&long_line, step)
                    .map(|_| 0)
                    .unwrap_or_else(|r| r.status),
                400
            );
        }
        let mut tiny_chunks = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        tiny_chunks.extend(b"1;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n".repeat(4000));
        assert_eq!(status(tiny_chunks), 413);
    }

    #[test]
    fn framing_errors_say_what_is_wrong() {
        let reason = |raw: &str| frame(raw.as_bytes(), 4096).unwrap_err();
        let r = reason("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assert_eq!(
            (r.status, r.reason.as_str()),
            (400, "conflicting Content-Length headers")
        );
        let r =
            reason("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(r.status, 400);
        assert!(r.reason.contains("both"));
        assert_eq!(
            reason("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").status,
            400
        );
        assert_eq!(
            reason("POST / HTTP/1.1\r\nExpect: magic\r\n\r\n").status,
            417
        );
        for length in ["-1", "+1", "", "1 1", "0x1"] {
            let raw = format!("GET / HTTP/1.1\r\nContent-Length: {length}\r\n\r\n");
            assert_eq!(reason(&raw).status, 400, "{length:?}");
        }
        assert_eq!(reason("GET / HTTP/1.1\r\nX: caf\u{e9}\r\n\r\n").status, 400);
        assert_eq!(reason("GET /caf\u{e9} HTTP/1.1\r\n\r\n").status, 400);
        assert_eq!(reason("BAD\r\n\r\n").status, 400);
        assert_eq!(
            reason("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").status,
            400
        );
    }

    #[test]
    fn the_answer_says_what_becomes_of_the_connection() {
        let with = |keep_alive, http10| {
            let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec();
            announce_connection(&mut r, keep_alive, http10);
            String::from_utf8(r).unwrap()
        };
        assert_eq!(
            with(false, false),
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(
            with(true, true),
            "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(
            with(true, false),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn plain_responses_are_well_formed() {
        let r =
            String::from_utf8(plain_response(413, "body larger than 16384 bytes", true)).unwrap();
        assert!(r.starts_with("HTTP/1.1 413 Content Too Large\r\n"));
        assert!(r.contains("Content-Length: 29\r\n"));
        assert!(r.contains("Connection: close\r\n"));
        assert!(r.ends_with("\r\n\r\nbody larger than 16384 bytes\n"));
    }
}
