//! End to end, as a user at a desk sees it: the real binary with its tray icon, in a private
//! desktop session (its own D-Bus bus and X display), with a test notification service and a
//! test StatusNotifierWatcher standing in for the panel.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use support::*;

const FROM: &str = "type=incoming&caller=5145551212&callee=100";

/// The RGBA pixels of a PNG file, to tell which picture the tray shows.
fn pixels(png_bytes: &[u8]) -> Vec<u8> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    buf.truncate(info.buffer_size());
    buf
}

/// The tray item's current icon, read back from the file appindicator points the panel at.
fn shown_icon(tray: &TrayClient, item: &TrayItem) -> Vec<u8> {
    let props = tray.properties(item);
    let name = props.icon_name.expect("the item has an icon");
    let dir = props.icon_theme_path.unwrap_or_default();
    let candidates = [
        std::path::PathBuf::from(&name),
        std::path::Path::new(&dir).join(format!("{name}.png")),
    ];
    let file = candidates
        .iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no icon file for {name:?} in {dir:?}"));
    pixels(&std::fs::read(file).expect("reading the tray icon file"))
}

fn wait_for_icon(tray: &TrayClient, item: &TrayItem, want: &[u8], what: &str) {
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    while shown_icon(tray, item) != want {
        assert!(
            std::time::Instant::now() < deadline,
            "the tray never showed the {what} icon"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_call_walks_the_tray_from_ringing_to_recent_calls_and_quit_ends_the_agent() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let watcher = StatusNotifierWatcher::start(&session);
    let mut agent = Agent::start(&session, TEST_CONFIG, &[]);
    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("calltray registers a tray item");
    let tray = TrayClient::new(&session);
    let address = agent.base.trim_start_matches("http://").to_string();

    let menu = tray
        .wait_for_menu(
            &item,
            |m| m.find_label(&format!("Listening on {address}")).is_some(),
            DEFAULT_TIMEOUT,
        )
        .expect("idle status line");
    let status = menu.children.first().expect("a first menu line");
    assert_eq!(status.text(), format!("Listening on {address}"));
    assert!(!status.enabled, "the status line is not clickable");
    assert!(
        menu.find_label("Open config file").is_some(),
        "{}",
        menu.pretty()
    );
    let recent = menu
        .find_label("Recent calls")
        .expect("Recent calls submenu");
    assert_eq!(recent.labels(), vec!["No calls yet"]);
    assert_eq!(
        shown_icon(&tray, &item),
        pixels(include_bytes!("../assets/icons/tray-idle-64.png"))
    );

    // Ringing.
    let (status, text) = agent.get(&format!("/init?callid=T1&{FROM}"));
    assert_eq!(
        (status, text.trim()),
        (200, "accepted: CallInitiated incoming call T1")
    );
    let ringing = notifications
        .wait_for_summary("Incoming call", DEFAULT_TIMEOUT)
        .expect("a ringing toast");
    assert_eq!(ringing.body, "(514) 555-1212\nto ext 100");
    assert_eq!(ringing.app_name, "calltray");
    tray.wait_for_menu(
        &item,
        |m| m.find_label("Ringing: (514) 555-1212").is_some(),
        DEFAULT_TIMEOUT,
    )
    .expect("ringing status line");
    wait_for_icon(
        &tray,
        &item,
        &pixels(include_bytes!("../assets/icons/tray-ringing-64.png")),
        "ringing",
    );

    // In call: the status line shows a running time.
    assert_eq!(agent.get(&format!("/answered?callid=T1&{FROM}")).0, 200);
    tray.wait_for_menu(
        &item,
        |m| {
            m.find(|l| l.starts_with("In call with (514) 555-1212 · 0:"))
                .is_some()
        },
        DEFAULT_TIMEOUT,
    )
    .expect("in-call status line");
    wait_for_icon(
        &tray,
        &item,
        &pixels(include_bytes!("../assets/icons/tray-incall-64.png")),
        "in-call",
    );

    // Ended: the toast is replaced in place, and the call is in the recent calls.
    assert_eq!(
        agent.get(&format!("/ended?callid=T1&{FROM}&duration=65")).0,
        200
    );
    let ended = notifications
        .wait_for_summary("Call ended · 1:05", DEFAULT_TIMEOUT)
        .expect("an ended toast");
    assert_eq!(
        ended.replaces_id, ringing.id,
        "one toast per call, replaced"
    );
    let menu = tray
        .wait_for_menu(
            &item,
            |m| m.find_label("Last call: (514) 555-1212 · 1:05").is_some(),
            DEFAULT_TIMEOUT,
        )
        .expect("last-call status line");
    let recent = menu
        .find_label("Recent calls")
        .expect("Recent calls submenu");
    let entry = recent
        .find(|l| l.ends_with(" · from (514) 555-1212 · 1:05"))
        .unwrap_or_else(|| panic!("the call in Recent calls:\n{}", menu.pretty()));
    assert_eq!(entry.labels(), vec!["Copy number"]);

    // A missed call on my other extension: a sticky toast and a way to mark it seen.
    assert_eq!(
        agent
            .get("/init?callid=T2&type=incoming&caller=4165550000&callee=101")
            .0,
        200
    );
    assert_eq!(
        agent
            .get("/ended?callid=T2&type=incoming&caller=4165550000&callee=101&duration=0")
            .0,
        200
    );
    let missed = notifications
        .wait_for_summary("Missed call", DEFAULT_TIMEOUT)
        .expect("a missed-call toast");
    assert_eq!(missed.body, "(416) 555-0000\nto ext 101");
    assert_eq!(
        missed.expire_timeout, 0,
        "missed calls stay until dismissed"
    );
    let menu = tray
        .wait_for_menu(
            &item,
            |m| m.find_label("Mark 1 missed call as seen").is_some(),
            DEFAULT_TIMEOUT,
        )
        .expect("a mark-as-seen line");
    wait_for_icon(
        &tray,
        &item,
        &pixels(include_bytes!("../assets/icons/tray-missed-64.png")),
        "missed",
    );
    let mark = menu
        .find_label("Mark 1 missed call as seen")
        .expect("mark line");
    tray.click(&item, mark.id);
    tray.wait_for_menu(
        &item,
        |m| m.find(|l| l.starts_with("Mark ")).is_none(),
        DEFAULT_TIMEOUT,
    )
    .expect("the mark-as-seen line goes away once clicked");
    wait_for_icon(
        &tray,
        &item,
        &pixels(include_bytes!("../assets/icons/tray-idle-64.png")),
        "idle",
    );
    let recent_labels = tray
        .layout(&item)
        .find_label("Recent calls")
        .expect("Recent calls submenu")
        .labels();
    assert!(
        recent_labels[0].ends_with(" · from (416) 555-0000 · missed"),
        "newest first: {recent_labels:?}"
    );

    // Quit, clicked over D-Bus while a call rings, withdraws its toast and ends the agent.
    assert_eq!(agent.get(&format!("/init?callid=T3&{FROM}")).0, 200);
    let ringing = notifications
        .wait_for(
            |calls| {
                calls
                    .iter()
                    .any(|n| n.summary == "Incoming call" && n.id != ringing.id)
            },
            DEFAULT_TIMEOUT,
        )
        .expect("a second ringing toast")
        .into_iter()
        .rfind(|n| n.summary == "Incoming call")
        .expect("the ringing toast");
    tray.click_label(&item, "Quit");
    let status = agent
        .process
        .wait_exit(DEFAULT_TIMEOUT)
        .expect("calltray exits after Quit");
    assert!(
        status.success(),
        "exit status {status}\n{}",
        agent.process.logs()
    );
    assert!(
        notifications.closed().contains(&ringing.id),
        "the ringing toast is withdrawn on Quit; closed: {:?}",
        notifications.closed()
    );

    // Started again, the recent calls come back from the history, and the missed call
    // marked seen stays seen.
    let toasts_before = notifications.calls().len();
    let old_sender = item.sender.clone();
    let _agent = Agent::start(&session, TEST_CONFIG, &[]);
    let item = watcher
        .wait_for_items(
            |items| items.iter().any(|i| i.sender != old_sender),
            DEFAULT_TIMEOUT,
        )
        .expect("calltray registers its tray item again")
        .into_iter()
        .find(|i| i.sender != old_sender)
        .expect("the new item");
    let menu = tray
        .wait_for_menu(
            &item,
            |m| {
                m.find_label("Recent calls")
                    .is_some_and(|r| r.labels().len() >= 2)
            },
            DEFAULT_TIMEOUT,
        )
        .expect("recent calls after a restart");
    let labels = menu.find_label("Recent calls").expect("submenu").labels();
    assert!(
        labels
            .iter()
            .any(|l| l.ends_with(" · from (514) 555-1212 · 1:05"))
            && labels
                .iter()
                .any(|l| l.ends_with(" · from (416) 555-0000 · missed")),
        "{labels:?}"
    );
    assert!(
        menu.find(|l| l.starts_with("Mark ")).is_none(),
        "{}",
        menu.pretty()
    );
    assert_eq!(
        notifications.calls().len(),
        toasts_before,
        "no toast again for calls from before the restart"
    );
}

#[test]
fn with_no_display_it_runs_headless_and_says_so() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let config = session.dir().join("calltray.toml");
    std::fs::write(&config, TEST_CONFIG).expect("writing the config");
    let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
    cmd.env_remove("DISPLAY").arg("--config").arg(&config);
    let mut process = session.spawn("calltray", cmd);
    let base = support::agent::wait_for_listening(&mut process, DEFAULT_TIMEOUT)
        .expect("listening without a display");
    assert!(
        process
            .stderr()
            .contains("running without a tray icon: no display"),
        "{}",
        process.logs()
    );
    let url = format!("{base}/init?callid=H1&{FROM}");
    let status = ureq::get(&url).call().expect("request").status().as_u16();
    assert_eq!(status, 200);
    notifications
        .wait_for_summary("Incoming call", DEFAULT_TIMEOUT)
        .expect("toasts still work headless");
    assert!(!process.logs().contains("panicked"), "{}", process.logs());

    // A termination signal while the call rings: the toast is withdrawn, the exit clean.
    let ringing = notifications
        .wait_for_summary("Incoming call", DEFAULT_TIMEOUT)
        .expect("the ringing toast");
    let status = process.terminate(DEFAULT_TIMEOUT);
    assert!(status.success(), "exit status {status}\n{}", process.logs());
    assert!(
        notifications.closed().contains(&ringing.id),
        "closed: {:?}",
        notifications.closed()
    );
}

#[test]
fn the_notification_service_and_the_tray_host_can_restart_mid_call() {
    let session = Session::start();
    let first_service = NotificationServer::start(&session);
    let first_host = StatusNotifierWatcher::start(&session);
    let agent = Agent::start(&session, TEST_CONFIG, &[]);
    first_host
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("a tray item at first");
    assert_eq!(agent.get(&format!("/init?callid=R1&{FROM}")).0, 200);
    first_service
        .wait_for_summary("Incoming call", DEFAULT_TIMEOUT)
        .expect("the first service shows the ringing call");

    // Both go away while the call is up, and the call moves on meanwhile.
    drop(first_service);
    drop(first_host);
    assert_eq!(agent.get(&format!("/answered?callid=R1&{FROM}")).0, 200);

    // They come back: the end of that call, and the next call, reach the new ones.
    let service = NotificationServer::start(&session);
    let host = StatusNotifierWatcher::start(&session);
    let item = host
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("the tray item registers again with the new host");
    assert_eq!(
        agent.get(&format!("/ended?callid=R1&{FROM}&duration=42")).0,
        200
    );
    service
        .wait_for_summary("Call ended · 0:42", DEFAULT_TIMEOUT)
        .expect("the new service shows the end of the call");
    assert_eq!(
        agent
            .get("/init?callid=R2&type=incoming&caller=4165550000&callee=100")
            .0,
        200
    );
    service
        .wait_for(
            |calls| calls.iter().any(|n| n.body.starts_with("(416) 555-0000")),
            DEFAULT_TIMEOUT,
        )
        .expect("the next call rings on the new service");
    TrayClient::new(&session)
        .wait_for_menu(
            &item,
            |m| m.find_label("Ringing: (416) 555-0000").is_some(),
            DEFAULT_TIMEOUT,
        )
        .expect("the tray follows the new call");
    assert!(
        !agent.process.logs().contains("panicked"),
        "{}",
        agent.process.logs()
    );
}

#[test]
fn do_not_disturb_holds_toasts_back_until_switched_off() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let watcher = StatusNotifierWatcher::start(&session);
    let agent = Agent::start(&session, TEST_CONFIG, &[]);
    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("calltray registers a tray item");
    let tray = TrayClient::new(&session);
    tray.wait_for_menu(
        &item,
        |m| m.find_label("Do not disturb").is_some(),
        DEFAULT_TIMEOUT,
    )
    .expect("a Do not disturb switch");
    tray.click_label(&item, "Do not disturb");
    tray.wait_for_menu(
        &item,
        |m| {
            m.find_label("Do not disturb")
                .is_some_and(|n| n.is_checked())
        },
        DEFAULT_TIMEOUT,
    )
    .expect("the switch shows it is on");

    // A missed call: the tray follows it, no toast.
    assert_eq!(agent.get(&format!("/init?callid=D1&{FROM}")).0, 200);
    assert_eq!(agent.get(&format!("/ended?callid=D1&{FROM}")).0, 200);
    tray.wait_for_menu(
        &item,
        |m| m.find_label("Mark 1 missed call as seen").is_some(),
        DEFAULT_TIMEOUT,
    )
    .expect("the tray has the missed call");

    tray.click_label(&item, "Do not disturb");
    let away = notifications
        .wait_for_summary("1 missed call while away", DEFAULT_TIMEOUT)
        .expect("the summary once switched off");
    let calls = notifications.calls();
    assert!(
        !calls
            .iter()
            .any(|n| n.summary == "Missed call" || n.summary == "Incoming call"),
        "{}",
        support::notifications::describe(&calls)
    );
    assert_eq!(away.expire_timeout, 0);
}

/// A stand-in for Ubity's Calls API: answers each `/call` request with the next of `answers`
/// and records it (head and body); `/extensions` requests get an empty list.
fn ubity_stand_in(answers: Vec<&'static str>) -> (String, std::sync::mpsc::Receiver<String>) {
    ubity_stand_in_with(r#"{"extensions": {}}"#, answers)
}

/// [`ubity_stand_in`] whose Extensions API answers `extensions`.
fn ubity_stand_in_with(
    extensions: &'static str,
    answers: Vec<&'static str>,
) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut answers = answers.into_iter();
        loop {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut got = Vec::new();
            let mut piece = [0u8; 4096];
            // Head, then the body by its length.
            while let Ok(n) = s.read(&mut piece) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&piece[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        break;
                    }
                }
            }
            let request = String::from_utf8_lossy(&got).to_string();
            let answer = if request.starts_with("POST /extensions ") {
                extensions
            } else {
                let Some(answer) = answers.next() else {
                    return;
                };
                answer
            };
            let _ = tx.send(request);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = s.write_all(reply.as_bytes());
        }
    });
    (base, rx)
}

/// The next request to the Calls API, past any for the extension names.
fn next_call_request(requests: &std::sync::mpsc::Receiver<String>) -> String {
    loop {
        let request = requests
            .recv_timeout(DEFAULT_TIMEOUT)
            .expect("a request to the Calls API");
        if !request.starts_with("POST /extensions ") {
            return request;
        }
    }
}

#[test]
fn call_back_asks_ubity_to_ring_my_phone_and_says_how_it_went() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let watcher = StatusNotifierWatcher::start(&session);
    let (base, requests) = ubity_stand_in(vec![
        r#"{"code": 200, "diagnostic": "OK", "api_call_uuid": "u-1", "stamp": 1}"#,
        r#"{"code": 401, "diagnostic": "Invalid key"}"#,
    ]);
    let config =
        format!("{TEST_CONFIG}\n[ubity]\napi_key = \"k-secret-123\"\napi_url = \"{base}\"\n");
    let agent = Agent::start(&session, &config, &[]);
    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("calltray registers a tray item");
    let tray = TrayClient::new(&session);
    assert_eq!(agent.get(&format!("/init?callid=B1&{FROM}")).0, 200);
    assert_eq!(agent.get(&format!("/ended?callid=B1&{FROM}")).0, 200);
    let menu = tray
        .wait_for_menu(
            &item,
            |m| m.find_label("Call back").is_some(),
            DEFAULT_TIMEOUT,
        )
        .expect("Call back on the recent call");
    let call_back = menu.find_label("Call back").expect("the item").id;

    tray.click(&item, call_back);
    let request = next_call_request(&requests);
    assert!(request.starts_with("POST /call HTTP/1.1\r\n"), "{request}");
    assert!(
        request
            .to_ascii_lowercase()
            .contains("accept: application/json;version=0"),
        "{request}"
    );
    assert!(
        request.ends_with("key=k-secret-123&exten=100&number=5145551212"),
        "{request}"
    );
    let ok = notifications
        .wait_for_summary("Calling (514) 555-1212", DEFAULT_TIMEOUT)
        .expect("a toast saying the call is on its way");
    assert!(ok.body.contains("ext 100"), "{}", ok.body);

    tray.click(&item, call_back);
    next_call_request(&requests);
    let refused = notifications
        .wait_for_summary("Could not call (514) 555-1212", DEFAULT_TIMEOUT)
        .expect("a toast saying it failed");
    assert!(refused.body.contains("API key"), "{}", refused.body);
    assert!(
        !agent.process.logs().contains("k-secret-123"),
        "the API key reached the log"
    );
}

/// A desk in Québec: the session's locale is French, so the toasts and the whole menu are in
/// French; switching `language` in the config turns the menu to English while it runs.
#[test]
fn a_french_desktop_gets_french_toasts_and_menu_and_a_config_edit_switches_language() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let watcher = StatusNotifierWatcher::start(&session);
    let french = [("LANG", std::ffi::OsString::from("fr_CA.UTF-8"))];
    let agent = Agent::start_with_env(&session, TEST_CONFIG, &[], &french);
    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("calltray registers a tray item");
    let tray = TrayClient::new(&session);
    let address = agent.base.trim_start_matches("http://").to_string();
    let menu = tray
        .wait_for_menu(
            &item,
            |m| m.find_label(&format!("À l’écoute sur {address}")).is_some(),
            DEFAULT_TIMEOUT,
        )
        .expect("a French status line");
    for label in [
        "Appels récents",
        "Ne pas déranger",
        "Ouvrir le fichier de configuration",
        "Quitter",
    ] {
        assert!(
            menu.find_label(label).is_some(),
            "{label}:\n{}",
            menu.pretty()
        );
    }

    assert_eq!(agent.get(&format!("/init?callid=F1&{FROM}")).0, 200);
    let ringing = notifications
        .wait_for_summary("Appel entrant", DEFAULT_TIMEOUT)
        .expect("a French ringing toast");
    assert_eq!(ringing.body, "(514) 555-1212\npour le poste 100");
    assert_eq!(agent.get(&format!("/answered?callid=F1&{FROM}")).0, 200);
    assert_eq!(
        agent.get(&format!("/ended?callid=F1&{FROM}&duration=65")).0,
        200
    );
    notifications
        .wait_for_summary("Appel terminé · 1 min 05 s", DEFAULT_TIMEOUT)
        .expect("a French ended toast with the duration written the Québec way");
    let menu = tray
        .wait_for_menu(
            &item,
            |m| {
                m.find_label("Dernier appel : (514) 555-1212 · 1 min 05 s")
                    .is_some()
            },
            DEFAULT_TIMEOUT,
        )
        .expect("a French last-call line");
    let recent = menu.find_label("Appels récents").expect("recent calls");
    let entry = recent
        .find(|l| l.ends_with(" · de (514) 555-1212 · 1 min 05 s"))
        .unwrap_or_else(|| panic!("the call, in French:\n{}", menu.pretty()));
    assert!(
        entry.text().contains(" h "),
        "a Québec time: {}",
        entry.text()
    );
    assert_eq!(entry.labels(), vec!["Copier le numéro"]);

    // The user prefers English: the menu follows the edit, calls and all.
    std::fs::write(
        &agent.config_path,
        format!("language = \"en\"\n{TEST_CONFIG}"),
    )
    .expect("editing the config");
    notifications
        .wait_for_summary("calltray settings applied", DEFAULT_TIMEOUT)
        .expect("the edit is applied, and said so in English");
    let menu = tray
        .wait_for_menu(
            &item,
            |m| m.find_label("Quit").is_some() && m.find_label("Recent calls").is_some(),
            DEFAULT_TIMEOUT,
        )
        .expect("an English menu after the edit");
    let recent = menu.find_label("Recent calls").expect("recent calls");
    assert!(
        recent
            .find(|l| l.ends_with(" · from (514) 555-1212 · 1:05"))
            .is_some(),
        "{}",
        menu.pretty()
    );
}

/// A desk where the panel and the notification service start after calltray (a slow login):
/// calls taken meanwhile are still answered and tracked, and once both arrive the tray item
/// registers and the next call notifies.
#[test]
fn no_tray_host_and_no_notification_service_at_start_then_both_arrive() {
    let session = Session::start();
    let agent = Agent::start(&session, TEST_CONFIG, &[]);
    assert_eq!(agent.get(&format!("/init?callid=E1&{FROM}")).0, 200);
    assert_eq!(
        agent.get(&format!("/ended?callid=E1&{FROM}&duration=0")).0,
        200
    );

    let service = NotificationServer::start(&session);
    let host = StatusNotifierWatcher::start(&session);
    let item = host
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("the tray item registers once a host is there");
    let tray = TrayClient::new(&session);
    tray.wait_for_menu(
        &item,
        |m| {
            m.find_label("Recent calls").is_some_and(|r| {
                r.find(|l| l.ends_with(" · from (514) 555-1212 · missed"))
                    .is_some()
            })
        },
        DEFAULT_TIMEOUT,
    )
    .expect("the call taken before the host came is listed");

    assert_eq!(
        agent
            .get("/init?callid=E2&type=incoming&caller=4165550000&callee=100")
            .0,
        200
    );
    service
        .wait_for(
            |calls| calls.iter().any(|n| n.body.starts_with("(416) 555-0000")),
            DEFAULT_TIMEOUT,
        )
        .expect("the next call rings on the service that arrived late");
    assert!(
        !agent.process.logs().contains("panicked"),
        "{}",
        agent.process.logs()
    );
}

/// Names: a caller in the user's CSV contacts and a colleague from Ubity's Extensions API are
/// named in the toast, the tray and the history; an unknown number stays a number.
#[test]
fn callers_are_named_from_contacts_and_ubity_extensions() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let watcher = StatusNotifierWatcher::start(&session);
    let contacts = session.dir().join("clients.csv");
    // A French export: semicolons, accents, two numbers for one person.
    std::fs::write(
        &contacts,
        "Nom;Téléphone;Cellulaire\nHélène Tremblay;+1 514-555-1212;(438) 555-0199\n",
    )
    .expect("writing the contacts");
    let (base, requests) = ubity_stand_in_with(
        r#"{"extensions": {"204": {"callerid": "Julie Roy", "state": "free", "updated": 1.5}}}"#,
        vec![],
    );
    let config = format!(
        "contacts = [{:?}]\n{TEST_CONFIG}\n[ubity]\napi_key = \"k-names-1\"\napi_url = \"{base}\"\n",
        contacts.display().to_string()
    );
    let agent = Agent::start(&session, &config, &[]);
    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("calltray registers a tray item");
    let request = requests
        .recv_timeout(DEFAULT_TIMEOUT)
        .expect("the extension names are asked for at start");
    assert!(request.starts_with("POST /extensions "), "{request}");
    assert!(request.ends_with("key=k-names-1"), "{request}");
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    while !agent
        .process
        .logs()
        .contains("1 extension names from Ubity")
        || !agent.process.logs().contains("contacts read: 2 numbers")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the names never arrived:\n{}",
            agent.process.logs()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // Written the way Ubity writes it, not the way the contacts file does.
    assert_eq!(
        agent
            .get("/init?callid=N1&type=incoming&caller=15145551212&callee=100")
            .0,
        200
    );
    let toast = notifications
        .wait_for_summary("Incoming call", DEFAULT_TIMEOUT)
        .expect("a ringing toast");
    assert_eq!(toast.body, "Hélène Tremblay · (514) 555-1212\nto ext 100");
    assert_eq!(
        agent
            .get("/init?callid=N2&type=incoming&caller=204&callee=101")
            .0,
        200
    );
    notifications
        .wait_for(
            |calls| {
                calls
                    .iter()
                    .any(|n| n.body == "Julie Roy · ext 204\nto ext 101")
            },
            DEFAULT_TIMEOUT,
        )
        .expect("a colleague named from Ubity's extensions");
    let tray = TrayClient::new(&session);
    tray.wait_for_menu(
        &item,
        |m| m.find_label("Ringing: Hélène Tremblay (+1 more)").is_some(),
        DEFAULT_TIMEOUT,
    )
    .expect("the tray names the caller");
    for call in [
        "callid=N1&type=incoming&caller=15145551212&callee=100",
        "callid=N2&type=incoming&caller=204&callee=101",
    ] {
        assert_eq!(agent.get(&format!("/ended?{call}")).0, 200);
    }
    assert_eq!(
        agent
            .get("/ended?callid=N3&type=incoming&caller=4165550000&callee=100")
            .0,
        200
    );
    let menu = tray
        .wait_for_menu(
            &item,
            |m| {
                m.find_label("Recent calls").is_some_and(|r| {
                    r.find(|l| l.ends_with(" · from (416) 555-0000 · missed"))
                        .is_some()
                })
            },
            DEFAULT_TIMEOUT,
        )
        .expect("the unknown caller stays a number");
    let recent = menu.find_label("Recent calls").expect("recent calls");
    for who in ["Hélène Tremblay", "Julie Roy"] {
        assert!(
            recent
                .find(|l| l.ends_with(&format!(" · from {who} · missed")))
                .is_some(),
            "{who}:\n{}",
            menu.pretty()
        );
    }

    // The history keeps the names the calls came with.
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
        cmd.args(["history", "--csv", "--config"])
            .arg(&agent.config_path);
        let mut process = session.spawn("history-names", cmd);
        process
            .wait_exit(DEFAULT_TIMEOUT)
            .expect("history finishes");
        let csv = process.stdout();
        if csv.contains("N1,incoming,100,15145551212,Hélène Tremblay,missed")
            && csv.contains("N2,incoming,101,204,Julie Roy,missed")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "names missing from the history:\n{csv}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// What the session's clipboard holds, read with xclip as another program would.
fn clipboard(session: &Session) -> String {
    let mut cmd = session.command("xclip");
    cmd.args(["-selection", "clipboard", "-o"]);
    let mut process = session.spawn("xclip", cmd);
    process
        .wait_exit(DEFAULT_TIMEOUT)
        .expect("xclip finishes (is xclip installed?)");
    process.stdout()
}

/// Waits until the clipboard holds `want`.
fn wait_clipboard(session: &Session, want: &str) {
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let got = clipboard(session);
        if got == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the clipboard holds {got:?}, not {want:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The buttons on a missed call's toast: Open in CRM, Copy number and Call back each do their
/// work when the notification service reports a click; a click signalled by another program
/// on the bus does nothing. Copy number from the tray menu works too, after the menu is gone.
#[test]
fn toast_buttons_open_the_crm_copy_the_number_and_call_back() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let watcher = StatusNotifierWatcher::start(&session);
    let (path, opened_log) = opener(&session);
    let (base, requests) = ubity_stand_in(vec![
        r#"{"code": 200, "diagnostic": "OK", "api_call_uuid": "u-2", "stamp": 1}"#,
    ]);
    let config = format!(
        "{TEST_CONFIG}\n[ubity]\napi_key = \"k-buttons\"\napi_url = \"{base}\"\n\
         [crm]\nurl = \"https://crm.example.com/s?p={{e164}}\"\nopen_on = \"never\"\n"
    );
    let agent = Agent::start_with_env(&session, &config, &[], &[("PATH", path)]);
    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("calltray registers a tray item");

    assert_eq!(agent.get(&format!("/init?callid=T1&{FROM}")).0, 200);
    let ringing = notifications
        .wait_for_summary("Incoming call", DEFAULT_TIMEOUT)
        .expect("a ringing toast");
    assert_eq!(
        ringing.action_pairs(),
        vec![("open-crm", "Open in CRM"), ("copy-number", "Copy number")]
    );
    assert_eq!(agent.get(&format!("/ended?callid=T1&{FROM}")).0, 200);
    let missed = notifications
        .wait_for_summary("Missed call", DEFAULT_TIMEOUT)
        .expect("a missed-call toast");
    assert_eq!(
        missed.action_pairs(),
        vec![
            ("call-back", "Call back"),
            ("open-crm", "Open in CRM"),
            ("copy-number", "Copy number")
        ]
    );
    let id = missed.id;

    // Another program on the bus pretends the user clicked: nothing opens. The real click
    // that follows is handled after it, so once its effect shows, the fake one was ignored.
    zbus::block_on(session.connection().emit_signal(
        None::<&str>,
        "/org/freedesktop/Notifications",
        "org.freedesktop.Notifications",
        "ActionInvoked",
        &(id, "open-crm"),
    ))
    .expect("emitting a fake click");
    notifications.invoke_action(id, "copy-number");
    wait_clipboard(&session, "5145551212");
    assert!(
        opened(&opened_log, 0).is_empty(),
        "a fake click opened the CRM"
    );

    notifications.invoke_action(id, "open-crm");
    assert_eq!(
        opened(&opened_log, 1),
        vec!["https://crm.example.com/s?p=%2B15145551212".to_string()]
    );

    notifications.invoke_action(id, "call-back");
    let request = next_call_request(&requests);
    assert!(
        request.ends_with("key=k-buttons&exten=100&number=5145551212"),
        "{request}"
    );
    notifications
        .wait_for_summary("Calling (514) 555-1212", DEFAULT_TIMEOUT)
        .expect("a toast saying the call is on its way");

    // Copy number in the tray menu: the clipboard keeps it after the menu has closed.
    assert_eq!(
        agent
            .get("/ended?callid=T2&type=incoming&caller=4185550100&callee=101")
            .0,
        200
    );
    let tray = TrayClient::new(&session);
    let menu = tray
        .wait_for_menu(
            &item,
            |m| {
                m.find_label("Recent calls")
                    .is_some_and(|r| r.find(|l| l.contains("(418) 555-0100")).is_some())
            },
            DEFAULT_TIMEOUT,
        )
        .expect("the second call in the menu");
    let entry = menu
        .find_label("Recent calls")
        .and_then(|r| r.find(|l| l.contains("(418) 555-0100")))
        .expect("its entry");
    let copy = entry.find_label("Copy number").expect("Copy number").id;
    tray.click(&item, copy);
    // Read by another program after the click: calltray still owns and serves it.
    wait_clipboard(&session, "4185550100");
}
