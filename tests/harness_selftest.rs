//! Proves the integration-test harness (tests/support) works on its own, without calltray:
//! a private bus + X display, the fake notification server driven by the real `notify-send`,
//! and the fake StatusNotifierWatcher driven by a registration made over real D-Bus.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};

use support::{
    DEFAULT_TIMEOUT, NotificationServer, Session, StatusNotifierWatcher, TrayClient, strip_mnemonic,
};
use zbus::{OwnedObjectPath, OwnedVariant, Variant};

#[test]
fn session_is_private_and_complete() {
    let session = Session::start();
    let env: std::collections::HashMap<String, String> = session.env().into_iter().collect();

    assert!(
        env["DISPLAY"].starts_with(':'),
        "DISPLAY = {:?}",
        env["DISPLAY"]
    );
    assert_eq!(env["DBUS_SESSION_BUS_ADDRESS"], session.bus_address());
    for key in [
        "HOME",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
    ] {
        let path = std::path::Path::new(&env[key]);
        assert!(
            path.starts_with(session.dir()),
            "{key}={path:?} is outside the session dir {:?}",
            session.dir()
        );
        assert!(path.is_dir(), "{key}={path:?} does not exist");
    }
    let mode = fs::metadata(&env["XDG_RUNTIME_DIR"])
        .expect("stat XDG_RUNTIME_DIR")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "XDG_RUNTIME_DIR mode is {mode:o}");

    // The bus answers, and activates nothing: asking for an unknown service fails at once.
    let conn = session.connection();
    let reply = zbus::block_on(conn.call_method(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        Some("org.freedesktop.DBus"),
        "ListActivatableNames",
        &(),
    ))
    .expect("ListActivatableNames on the private bus");
    let activatable: Vec<String> = reply.body().deserialize().expect("decoding names");
    assert_eq!(
        activatable,
        vec!["org.freedesktop.DBus".to_owned()],
        "the private bus must not auto-activate services"
    );

    // The X display accepts clients.
    let status = session
        .command("sh")
        .args(["-c", "test -S /tmp/.X11-unix/X${DISPLAY#:}"])
        .status()
        .expect("running sh");
    assert!(
        status.success(),
        "no X socket for {}; {}",
        session.display(),
        session.daemon_logs()
    );
}

#[test]
fn notify_send_reaches_the_test_notification_server() {
    let session = Session::start();
    let server = NotificationServer::start(&session);

    let output = session
        .command("notify-send")
        .args([
            "--app-name=selftest",
            "--urgency=critical",
            "--hint=string:desktop-entry:calltray",
            "--hint=boolean:resident:true",
            "Hello",
            "World &amp; co",
        ])
        .output()
        .expect("running notify-send (Debian package libnotify-bin)");
    assert!(
        output.status.success(),
        "notify-send failed: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let n = server
        .wait_for_summary("Hello", DEFAULT_TIMEOUT)
        .expect("notify-send's notification");
    assert_eq!(n.body, "World &amp; co", "body is passed through untouched");
    assert_eq!(n.app_name, "selftest");
    assert_eq!(n.urgency(), Some(2), "hints: {:?}", n.hints);
    assert_eq!(n.desktop_entry(), Some("calltray"), "hints: {:?}", n.hints);
    assert_eq!(n.resident(), Some(true), "hints: {:?}", n.hints);
    assert_eq!(n.replaces_id, 0);
    assert_eq!(n.id, 1);

    // replaces_id is echoed back.
    let output = session
        .command("notify-send")
        .args(["--print-id", "--replace-id=1", "Hello again"])
        .output()
        .expect("running notify-send --replace-id");
    assert!(output.status.success(), "notify-send: {output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1");
    let calls = server
        .wait_for(|calls| calls.len() == 2, DEFAULT_TIMEOUT)
        .expect("second notification");
    assert_eq!((calls[1].replaces_id, calls[1].id), (1, 1));

    // A wait that cannot succeed fails with a report of what was received.
    let err = server
        .wait_for(
            |calls| calls.iter().any(|n| n.summary == "never sent"),
            std::time::Duration::from_millis(200),
        )
        .expect_err("nothing was sent with that summary");
    assert!(
        err.message.contains("\"Hello again\""),
        "the timeout message should list received calls: {err}"
    );
}

#[test]
fn watcher_records_path_registrations_with_the_sender() {
    let session = Session::start();
    let watcher = StatusNotifierWatcher::start(&session);

    // Register the way libappindicator does: with an object path, from its own connection.
    let app = session.new_connection();
    let app_name = app
        .unique_name()
        .expect("a bus connection has a unique name")
        .to_string();
    zbus::block_on(app.call_method(
        Some("org.kde.StatusNotifierWatcher"),
        "/StatusNotifierWatcher",
        Some("org.kde.StatusNotifierWatcher"),
        "RegisterStatusNotifierItem",
        &("/org/ayatana/NotificationItem/selftest",),
    ))
    .expect("RegisterStatusNotifierItem");

    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("registration");
    assert_eq!(item.bus_name, app_name);
    assert_eq!(item.object_path, "/org/ayatana/NotificationItem/selftest");

    // The properties a host/app may read.
    let reply = zbus::block_on(app.call_method(
        Some("org.kde.StatusNotifierWatcher"),
        "/StatusNotifierWatcher",
        Some("org.freedesktop.DBus.Properties"),
        "Get",
        &(
            "org.kde.StatusNotifierWatcher",
            "IsStatusNotifierHostRegistered",
        ),
    ))
    .expect("reading IsStatusNotifierHostRegistered");
    let value: zbus::OwnedVariant = reply.body().deserialize().expect("decoding a variant");
    assert!(bool::try_from(value).expect("IsStatusNotifierHostRegistered is a bool"));
}

#[test]
fn mnemonics_are_stripped() {
    assert_eq!(strip_mnemonic("_Quit"), "Quit");
    assert_eq!(strip_mnemonic("Do _not disturb"), "Do not disturb");
    assert_eq!(strip_mnemonic("snake__case"), "snake_case");
    assert_eq!(strip_mnemonic("plain"), "plain");
}

// A minimal StatusNotifierItem + dbusmenu, served from this test, shaped like what
// libayatana-appindicator exports (object path registration, `_` mnemonics, a submenu whose
// children are included in GetLayout, a disabled item, a separator, a checkmark).
const FAKE_ITEM_PATH: &str = "/org/ayatana/NotificationItem/fake";
const FAKE_MENU_PATH: &str = "/org/ayatana/NotificationItem/fake/Menu";

struct FakeItem;

#[zbus::interface(name = "org.kde.StatusNotifierItem")]
impl FakeItem {
    #[zbus(property)]
    fn status(&self) -> String {
        "Active".to_owned()
    }

    #[zbus(property)]
    fn title(&self) -> String {
        "fake".to_owned()
    }

    #[zbus(property)]
    fn icon_name(&self) -> String {
        "phone".to_owned()
    }

    #[zbus(property)]
    fn menu(&self) -> OwnedObjectPath {
        OwnedObjectPath::try_from(FAKE_MENU_PATH).expect("a valid object path")
    }
}

type Props = HashMap<String, OwnedVariant>;

fn props(pairs: Vec<(&str, Variant<'static>)>) -> Props {
    pairs
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_owned(),
                OwnedVariant::try_from(v).expect("owned variant"),
            )
        })
        .collect()
}

fn child(id: i32, props: Props, children: Vec<OwnedVariant>) -> OwnedVariant {
    let structure = zbus::Structure::builder()
        .add_field(id)
        .add_field(props)
        .add_field(children)
        .build()
        .expect("building a (ia{sv}av) structure");
    OwnedVariant::try_from(Variant::from(structure)).expect("owned structure")
}

struct FakeMenu {
    events: Arc<Mutex<Vec<(i32, String)>>>,
}

#[zbus::interface(name = "com.canonical.dbusmenu")]
impl FakeMenu {
    #[zbus(out_args("revision", "layout"))]
    fn get_layout(
        &self,
        _parent_id: i32,
        _recursion_depth: i32,
        _property_names: Vec<String>,
    ) -> (u32, (i32, Props, Vec<OwnedVariant>)) {
        let s = |text: &str| Variant::from(text.to_owned());
        let submenu = child(
            4,
            props(vec![
                ("label", s("_More")),
                ("children-display", s("submenu")),
            ]),
            vec![child(5, props(vec![("label", s("Deep item"))]), vec![])],
        );
        let children = vec![
            child(
                1,
                props(vec![
                    ("label", s("Status: idle")),
                    ("enabled", Variant::from(false)),
                ]),
                vec![],
            ),
            child(2, props(vec![("type", s("separator"))]), vec![]),
            child(
                3,
                props(vec![
                    ("label", s("_Do not disturb")),
                    ("toggle-type", s("checkmark")),
                    ("toggle-state", Variant::from(1i32)),
                ]),
                vec![],
            ),
            submenu,
            child(6, props(vec![("label", s("_Quit"))]), vec![]),
        ];
        (
            7,
            (0, props(vec![("children-display", s("submenu"))]), children),
        )
    }

    fn event(&self, id: i32, event_id: String, _data: OwnedVariant, _timestamp: u32) {
        self.events
            .lock()
            .expect("events lock")
            .push((id, event_id));
    }

    fn about_to_show(&self, _id: i32) -> bool {
        false
    }
}

#[test]
fn tray_client_reads_and_clicks_a_dbusmenu() {
    let session = Session::start();
    let watcher = StatusNotifierWatcher::start(&session);
    let events = Arc::new(Mutex::new(Vec::new()));
    let app = zbus::block_on(
        zbus::connection::Builder::address(session.bus_address())
            .serve_at(FAKE_ITEM_PATH, FakeItem)
            .serve_at(
                FAKE_MENU_PATH,
                FakeMenu {
                    events: Arc::clone(&events),
                },
            )
            .build(),
    )
    .expect("serving the fake item");
    zbus::block_on(app.call_method(
        Some("org.kde.StatusNotifierWatcher"),
        "/StatusNotifierWatcher",
        Some("org.kde.StatusNotifierWatcher"),
        "RegisterStatusNotifierItem",
        &(FAKE_ITEM_PATH,),
    ))
    .expect("RegisterStatusNotifierItem");

    let item = watcher
        .wait_for_item(DEFAULT_TIMEOUT)
        .expect("registration");
    let tray = TrayClient::new(&session);
    let props = tray.properties(&item);
    assert_eq!(props.status.as_deref(), Some("Active"));
    assert_eq!(props.title.as_deref(), Some("fake"));
    assert_eq!(props.menu.as_deref(), Some(FAKE_MENU_PATH));

    let menu = tray
        .wait_for_menu(&item, |m| m.find_label("Quit").is_some(), DEFAULT_TIMEOUT)
        .expect("menu with Quit");
    assert_eq!(
        menu.labels(),
        [
            "Status: idle",
            "Do not disturb",
            "More",
            "Deep item",
            "Quit"
        ],
        "menu:\n{}",
        menu.pretty()
    );
    let status = menu.find_label("Status: idle").expect("status item");
    assert!(!status.enabled);
    assert!(menu.children[1].is_separator());
    let dnd = menu.find_label("Do not disturb").expect("dnd item");
    assert_eq!(dnd.label, "_Do not disturb", "raw label keeps the mnemonic");
    assert!(dnd.is_checked());
    let more = menu.find(|l| l.starts_with("Mo")).expect("submenu");
    assert_eq!(more.children_display.as_deref(), Some("submenu"));
    assert_eq!(more.children[0].text(), "Deep item");
    assert!(!tray.about_to_show(&item, more.id));

    tray.click(&item, 5);
    tray.click_label(&item, "Quit");
    assert_eq!(
        *events.lock().expect("events lock"),
        vec![(5, "clicked".to_owned()), (6, "clicked".to_owned())]
    );
    assert!(tray.is_alive(&item));
}
