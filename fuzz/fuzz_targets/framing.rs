//! Any bytes from a client, read in pieces of any size, must give the same answer as when read
//! at once: a whole request, a 4xx refusal on one line, or a wait for more. Never a panic.
#![no_main]

use calltray::framing::{Refused, Whole, frame_in_pieces};
use libfuzzer_sys::fuzz_target;

fn frame(bytes: &[u8], step: usize) -> Result<Option<Whole>, Refused> {
    let peer = "192.0.2.7".parse().expect("an address");
    frame_in_pieces(bytes, step, peer)
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the read size; the rest is what the client sent.
    let Some((&step, raw)) = data.split_first() else {
        return;
    };
    let at_once = frame(raw, raw.len());
    let piecewise = frame(raw, usize::from(step) + 1);
    match (&at_once, &piecewise) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.status, b.status),
        _ => panic!("{at_once:?} vs {piecewise:?}"),
    }
    if let Err(refused) = piecewise {
        assert!((400..500).contains(&refused.status), "{refused:?}");
        assert!(!refused.reason.contains('\n'), "{refused:?}");
    }
});
