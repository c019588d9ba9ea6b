//! Compares the two libphonenumber ports on one corpus (see README, "Numbers and names"):
//! each input parsed with a home region by both, E.164 / national / international forms and
//! validity side by side, panics caught, and parse timings. `cargo run --release` here.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use phonenumber::{country::Id as PnId, Mode};
use rlibphonenumber::{enums::Region, PhoneNumberFormat as RF, PHONE_NUMBER_UTIL as RL};

fn pn_region(r: &str) -> Option<PnId> {
    match r {
        "CA" => Some(PnId::CA),
        "US" => Some(PnId::US),
        "FR" => Some(PnId::FR),
        "RU" => Some(PnId::RU),
        "GB" => Some(PnId::GB),
        _ => None,
    }
}
fn rl_region(r: &str) -> Option<Region> {
    match r {
        "CA" => Some(Region::CA),
        "US" => Some(Region::US),
        "FR" => Some(Region::FR),
        "RU" => Some(Region::RU),
        "GB" => Some(Region::GB),
        _ => None,
    }
}

fn corpus() -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = vec![
        // Canada, various writings
        ("5145551212".into(), "CA"),
        ("15145551212".into(), "CA"),
        ("+15145551212".into(), "CA"),
        ("514-555-1212".into(), "CA"),
        ("(514) 555-1212".into(), "CA"),
        ("1.514.555.1212".into(), "CA"),
        ("+1 514 555 1212".into(), "CA"),
        ("  +15145551212  ".into(), "CA"),
        ("514 872 0311".into(), "CA"),
        ("4388721234".into(), "CA"),
        ("418 641 6411".into(), "CA"),
        ("819-776-1234".into(), "CA"),
        ("450 678 1234".into(), "CA"),
        ("581 888 1234".into(), "CA"),
        ("367 300 1234".into(), "CA"),
        ("873 200 1234".into(), "CA"),
        ("1-800-622-6232".into(), "CA"),
        ("514-555-1212 ext. 123".into(), "CA"),
        ("tel:+1-514-555-1212".into(), "CA"),
        ("sip:+15145551212@pbx.example.com".into(), "CA"),
        // US
        ("212 736 5000".into(), "CA"),
        ("+1 212 736 5000".into(), "US"),
        ("(415) 555-2671".into(), "US"),
        ("4155552671".into(), "CA"),
        ("1-888-777-1234".into(), "US"),
        ("1-800-FLOWERS".into(), "US"),
        // France
        ("+33142764978".into(), "CA"),
        ("+33142764978".into(), "US"),
        ("+33142764978".into(), "FR"),
        ("0142764978".into(), "FR"),
        ("0142764978".into(), "CA"),
        ("+33 6 12 34 56 78".into(), "CA"),
        ("011 33 1 42 76 49 78".into(), "CA"),
        ("0033142764978".into(), "FR"),
        // UK / DE / CH
        ("+44 20 7946 0958".into(), "CA"),
        ("+44 7700 900123".into(), "CA"),
        ("+44 7700 900123".into(), "US"),
        ("+49 30 901820".into(), "CA"),
        ("+49 1512 3456789".into(), "CA"),
        ("+41 44 668 18 00".into(), "CA"),
        // Russia
        ("8 800 555 35 35".into(), "RU"),
        ("88005553535".into(), "RU"),
        ("+7 800 555-35-35".into(), "CA"),
        ("+7 800 555-35-35".into(), "RU"),
        ("+7 495 123-45-67".into(), "CA"),
        ("8 (495) 123-45-67".into(), "RU"),
        // short / internal extensions
        ("100".into(), "CA"),
        ("2001".into(), "CA"),
        ("911".into(), "CA"),
        ("12".into(), "CA"),
        ("sip:100@pbx".into(), "CA"),
        // caller-id junk
        ("anonymous".into(), "CA"),
        ("Anonymous".into(), "CA"),
        ("unknown".into(), "CA"),
        ("".into(), "CA"),
        ("   ".into(), "CA"),
        ("+".into(), "CA"),
        ("abc".into(), "CA"),
        ("++15145551212".into(), "CA"),
        ("+999 1234567".into(), "CA"),
        ("99999999999999999999".into(), "CA"),
        // unicode digits
        ("５１４５５５１２１２".into(), "CA"),
        ("+١٥١٤٥٥٥١٢١٢".into(), "CA"),
        ("٥١٤-٥٥٥-١٢١٢".into(), "CA"),
        ("+१ ५१४ ५५५ १२१२".into(), "CA"),
        ("+1 514 555 1212\u{200B}".into(), "CA"),
        // extra: no default region / cross-region national-prefix stripping
        ("+33142764978".into(), "-"),
        ("+4915123456789".into(), "-"),
        ("+4915123456789".into(), "FR"),
        ("+7 800 555-35-35".into(), "-"),
        ("+1 800 622 6232".into(), "RU"),
        ("+1 800 622 6232".into(), "-"),
        ("+61 1300 975 707".into(), "CA"),
        ("5145551212".into(), "-"),
        ("011 44 20 7946 0958".into(), "CA"),
        ("+1 514 555 1212 x 42".into(), "CA"),
        ("5145551212;ext=123".into(), "CA"),
        ("Private".into(), "CA"),
        ("O".into(), "CA"),
    ];
    v.push(("1".repeat(300), "CA"));
    v.push((format!("+1 514 555 1212 {}", "x".repeat(5000)), "CA"));
    v.push(("9".repeat(100_000), "CA"));
    v.push((format!("+{}", "1-".repeat(20_000)), "CA"));
    v
}

fn show(s: &str) -> String {
    let mut t: String = s.chars().take(34).collect();
    if s.chars().count() > 34 {
        t = format!("{}…[{}ch]", &s.chars().take(12).collect::<String>(), s.chars().count());
    }
    format!("{:?}", t)
}

fn panic_msg(e: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = e.downcast_ref::<&str>() {
        format!("PANIC: {s}")
    } else if let Some(s) = e.downcast_ref::<String>() {
        format!("PANIC: {s}")
    } else {
        "PANIC".into()
    }
}

fn run_pn(input: &str, region: &str) -> String {
    let r = catch_unwind(AssertUnwindSafe(|| match phonenumber::parse(pn_region(region), input) {
        Err(e) => format!("ERR({e:?})"),
        Ok(n) => {
            let e164 = n.format().mode(Mode::E164).to_string();
            let nat = n.format().mode(Mode::National).to_string();
            let intl = n.format().mode(Mode::International).to_string();
            let valid = phonenumber::is_valid(&n);
            let ty = n.number_type(&phonenumber::metadata::DATABASE);
            format!("{e164} | {nat} | {intl} | valid={valid} | {ty:?}")
        }
    }));
    r.unwrap_or_else(panic_msg)
}

fn run_rl(input: &str, region: &str) -> String {
    let r = catch_unwind(AssertUnwindSafe(|| match RL.parse(input, rl_region(region)) {
        Err(e) => format!("ERR({e:?})"),
        Ok(n) => {
            let e164 = n.format_as(RF::E164);
            let nat = n.format_as(RF::National);
            let intl = n.format_as(RF::International);
            let valid = n.is_valid();
            let ty = n.get_type();
            let poss = n.is_possible_with_reason();
            format!("{e164} | {nat} | {intl} | valid={valid} | {ty:?} | {poss:?}")
        }
    }));
    r.unwrap_or_else(panic_msg)
}

fn bench(name: &str, f: &dyn Fn(&str, &str) -> bool, inputs: &[(&str, &str)]) {
    for (inp, reg) in inputs {
        let n = 10_000;
        let t = Instant::now();
        let mut ok = 0usize;
        for _ in 0..n {
            if f(std::hint::black_box(inp), reg) {
                ok += 1;
            }
        }
        let el = t.elapsed();
        println!(
            "{name:4} {:>26} [{reg}] {:>8.2} µs/parse (ok={ok})",
            format!("{inp:?}"),
            el.as_secs_f64() * 1e6 / n as f64
        );
    }
}

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("corpus");
    match mode {
        "init-pn" => {
            let t = Instant::now();
            let _ = phonenumber::parse(Some(PnId::CA), "5145551212");
            println!("pn first parse (metadata load): {:?}", t.elapsed());
            let t = Instant::now();
            let _ = phonenumber::parse(Some(PnId::CA), "5145551212");
            println!("pn second parse: {:?}", t.elapsed());
        }
        "init-rl" => {
            let t = Instant::now();
            let _ = RL.parse("5145551212", Some(Region::CA));
            println!("rl first parse (metadata load): {:?}", t.elapsed());
            let t = Instant::now();
            let _ = RL.parse("5145551212", Some(Region::CA));
            println!("rl second parse: {:?}", t.elapsed());
        }
        "bench" => {
            let inputs: &[(&str, &str)] = &[
                ("+15145551212", "CA"),
                ("5145551212", "CA"),
                ("(514) 555-1212", "CA"),
                ("+33142764978", "CA"),
                ("+7 800 555-35-35", "CA"),
                ("anonymous", "CA"),
            ];
            let pn = |i: &str, r: &str| phonenumber::parse(pn_region(r), i).is_ok();
            let rl = |i: &str, r: &str| RL.parse(i, rl_region(r)).is_ok();
            let pnfull = |i: &str, r: &str| {
                phonenumber::parse(pn_region(r), i)
                    .map(|n| phonenumber::is_valid(&n) && !n.format().mode(Mode::E164).to_string().is_empty())
                    .unwrap_or(false)
            };
            let rlfull = |i: &str, r: &str| {
                RL.parse(i, rl_region(r))
                    .map(|n| n.is_valid() && !n.format_as(RF::E164).is_empty())
                    .unwrap_or(false)
            };
            // warm
            pn("1", "CA");
            rl("1", "CA");
            println!("-- parse only");
            bench("pn", &pn, inputs);
            bench("rl", &rl, inputs);
            println!("-- parse + is_valid + format E164");
            bench("pn", &pnfull, inputs);
            bench("rl", &rlfull, inputs);
        }
        "one" => {
            let (i, r) = (args[2].as_str(), args[3].as_str());
            println!("{i:?} [{r}]\n   pn: {}\n   rl: {}", run_pn(i, r), run_rl(i, r));
        }
        _ => {
            for (i, (inp, reg)) in corpus().iter().enumerate() {
                let a = run_pn(inp, reg);
                let b = run_rl(inp, reg);
                println!("#{:02} {} [{}]\n   pn: {}\n   rl: {}", i + 1, show(inp), reg, a, b);
            }
        }
    }
}
