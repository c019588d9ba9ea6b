//! A fake `org.kde.StatusNotifierWatcher` (served from the test process) and a client that
//! inspects registered StatusNotifierItems and their com.canonical.dbusmenu menus.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use zbus::object_server::SignalEmitter;
use zbus::{OwnedVariant, Variant};

use super::WaitError;
use super::session::Session;

pub const WATCHER_NAME: &str = "org.kde.StatusNotifierWatcher";
pub const WATCHER_PATH: &str = "/StatusNotifierWatcher";
pub const ITEM_IFACE: &str = "org.kde.StatusNotifierItem";
pub const DBUSMENU_IFACE: &str = "com.canonical.dbusmenu";
/// Default item object path for items that register with a bus name (per the SNI spec).
pub const DEFAULT_ITEM_PATH: &str = "/StatusNotifierItem";

/// How often `wait_for_menu` / `wait_for_properties` re-read the item.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A registered StatusNotifierItem: where to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrayItem {
    /// Bus name owning the item (the caller's unique name when it registered with a path).
    pub bus_name: String,
    /// Object path of the org.kde.StatusNotifierItem object.
    pub object_path: String,
    /// The argument exactly as passed to RegisterStatusNotifierItem.
    pub registered_as: String,
    /// Unique name of the connection that called RegisterStatusNotifierItem.
    pub sender: String,
}

impl TrayItem {
    /// `bus_name + object_path`, the form listed in RegisteredStatusNotifierItems.
    pub fn service_string(&self) -> String {
        format!("{}{}", self.bus_name, self.object_path)
    }
}

#[derive(Default)]
struct WatcherState {
    items: Vec<TrayItem>,
    hosts: Vec<String>,
}

#[derive(Default)]
struct WatcherShared {
    state: Mutex<WatcherState>,
    changed: Condvar,
}

impl WatcherShared {
    fn lock(&self) -> MutexGuard<'_, WatcherState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct WatcherIface {
    shared: Arc<WatcherShared>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl WatcherIface {
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        let sender = header
            .sender()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        // libappindicator passes its object path; the spec's form is a bus name (then the
        // item lives at /StatusNotifierItem).
        let (bus_name, object_path) = if service.starts_with('/') {
            (sender.clone(), service.to_owned())
        } else if service.is_empty() {
            (sender.clone(), DEFAULT_ITEM_PATH.to_owned())
        } else {
            (service.to_owned(), DEFAULT_ITEM_PATH.to_owned())
        };
        let item = TrayItem {
            bus_name,
            object_path,
            registered_as: service.to_owned(),
            sender,
        };
        let service_string = item.service_string();
        {
            let mut state = self.shared.lock();
            if !state.items.contains(&item) {
                state.items.push(item);
            }
        }
        self.shared.changed.notify_all();
        Self::status_notifier_item_registered(&emitter, &service_string).await?;
        self.registered_status_notifier_items_changed(&emitter)
            .await?;
        Ok(())
    }

    async fn register_status_notifier_host(
        &self,
        service: &str,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        {
            let mut state = self.shared.lock();
            if !state.hosts.iter().any(|h| h == service) {
                state.hosts.push(service.to_owned());
            }
        }
        self.shared.changed.notify_all();
        Self::status_notifier_host_registered(&emitter).await?;
        Ok(())
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.shared
            .lock()
            .items
            .iter()
            .map(TrayItem::service_string)
            .collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_item_unregistered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// The fake watcher. Owns `org.kde.StatusNotifierWatcher` (and a
/// `org.kde.StatusNotifierHost-<pid>` name, like a real panel) until dropped.
pub struct StatusNotifierWatcher {
    connection: zbus::Connection,
    shared: Arc<WatcherShared>,
}

impl StatusNotifierWatcher {
    pub fn start(session: &Session) -> StatusNotifierWatcher {
        let shared = Arc::new(WatcherShared::default());
        let iface = WatcherIface {
            shared: Arc::clone(&shared),
        };
        let host_name = format!("org.kde.StatusNotifierHost-{}", std::process::id());
        let connection = zbus::block_on(
            zbus::connection::Builder::address(session.bus_address())
                .serve_at(WATCHER_PATH, iface)
                .name(WATCHER_NAME)
                .name(host_name.as_str())
                .build(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "starting the test StatusNotifierWatcher on {}: {e}",
                session.bus_address()
            )
        });
        shared.lock().hosts.push(host_name);
        StatusNotifierWatcher { connection, shared }
    }

    /// Items registered so far, in order.
    pub fn items(&self) -> Vec<TrayItem> {
        self.shared.lock().items.clone()
    }

    /// Hosts registered so far (includes the watcher's own host name).
    pub fn hosts(&self) -> Vec<String> {
        self.shared.lock().hosts.clone()
    }

    /// Waits until `predicate(items)` holds; returns the items at that moment.
    pub fn wait_for_items<F>(
        &self,
        mut predicate: F,
        timeout: Duration,
    ) -> Result<Vec<TrayItem>, WaitError>
    where
        F: FnMut(&[TrayItem]) -> bool,
    {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if predicate(&state.items) {
                return Ok(state.items.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WaitError::new(format!(
                    "timed out after {timeout:?} waiting for StatusNotifierItem registrations; \
                     registered items: {:?}; hosts: {:?}",
                    state.items, state.hosts
                )));
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Waits for the first item registration and returns it.
    pub fn wait_for_item(&self, timeout: Duration) -> Result<TrayItem, WaitError> {
        let items = self.wait_for_items(|items| !items.is_empty(), timeout)?;
        Ok(items[0].clone())
    }

    pub fn connection(&self) -> &zbus::Connection {
        &self.connection
    }
}

/// Removes GTK/dbusmenu mnemonics: a single `_` disappears, `__` becomes a literal `_`.
pub fn strip_mnemonic(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            if chars.peek() == Some(&'_') {
                chars.next();
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One com.canonical.dbusmenu item and its children.
#[derive(Clone, Debug, PartialEq)]
pub struct MenuNode {
    pub id: i32,
    /// Raw `label` property, mnemonics (`_`) included; empty when absent.
    pub label: String,
    /// `enabled` property (absent means true).
    pub enabled: bool,
    /// `visible` property (absent means true).
    pub visible: bool,
    /// `type` property: "standard" (absent) or "separator".
    pub item_type: String,
    /// `toggle-type`: "checkmark" or "radio" when the item is checkable.
    pub toggle_type: Option<String>,
    /// `toggle-state`: 0 off, 1 on, -1 indeterminate.
    pub toggle_state: Option<i32>,
    /// `children-display`: "submenu" for items that open a submenu.
    pub children_display: Option<String>,
    /// Every property, rendered as text (for failure messages and odd cases).
    pub properties: BTreeMap<String, String>,
    pub children: Vec<MenuNode>,
}

impl MenuNode {
    /// The label with mnemonics removed (see [`strip_mnemonic`]).
    pub fn text(&self) -> String {
        strip_mnemonic(&self.label)
    }

    pub fn is_separator(&self) -> bool {
        self.item_type == "separator"
    }

    pub fn is_checked(&self) -> bool {
        self.toggle_state == Some(1)
    }

    /// Depth-first search (this node included) for a node whose mnemonic-stripped label
    /// satisfies `predicate`.
    pub fn find(&self, predicate: impl Fn(&str) -> bool) -> Option<&MenuNode> {
        self.find_node(&|node: &MenuNode| predicate(&node.text()))
    }

    /// Depth-first search (this node included) with a predicate on the whole node.
    pub fn find_node(&self, predicate: &dyn Fn(&MenuNode) -> bool) -> Option<&MenuNode> {
        if predicate(self) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find_node(predicate))
    }

    /// The node whose mnemonic-stripped label is exactly `text`.
    pub fn find_label(&self, text: &str) -> Option<&MenuNode> {
        self.find(|label| label == text)
    }

    pub fn find_id(&self, id: i32) -> Option<&MenuNode> {
        self.find_node(&|node: &MenuNode| node.id == id)
    }

    /// Mnemonic-stripped labels of all descendants, depth-first (separators omitted).
    pub fn labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        for child in &self.children {
            if !child.is_separator() {
                out.push(child.text());
            }
            out.extend(child.labels());
        }
        out
    }

    /// Indented tree rendering, for failure messages.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.pretty_into(0, &mut out);
        out
    }

    fn pretty_into(&self, depth: usize, out: &mut String) {
        let mut flags = Vec::new();
        if !self.enabled {
            flags.push("disabled".to_owned());
        }
        if !self.visible {
            flags.push("hidden".to_owned());
        }
        if let Some(t) = &self.toggle_type {
            flags.push(format!("{t}={}", self.toggle_state.unwrap_or(0)));
        }
        if let Some(d) = &self.children_display {
            flags.push(d.clone());
        }
        let what = if self.is_separator() {
            "----".to_owned()
        } else {
            format!("{:?}", self.label)
        };
        out.push_str(&format!(
            "{}[{}] {}{}\n",
            "  ".repeat(depth),
            self.id,
            what,
            if flags.is_empty() {
                String::new()
            } else {
                format!(" ({})", flags.join(", "))
            }
        ));
        for child in &self.children {
            child.pretty_into(depth + 1, out);
        }
    }
}

/// Properties of an org.kde.StatusNotifierItem (string ones that are present).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemProperties {
    pub id: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub title: Option<String>,
    pub icon_name: Option<String>,
    pub icon_theme_path: Option<String>,
    pub attention_icon_name: Option<String>,
    /// `ToolTip` (sa(iiay)ss) as (icon name, title, description), if the item has one.
    pub tool_tip: Option<(String, String, String)>,
    /// `Menu` object path.
    pub menu: Option<String>,
    /// libappindicator's `XAyatanaLabel` (tray-icon's "title" on Linux).
    pub label: Option<String>,
    /// Every property rendered as text.
    pub raw: BTreeMap<String, String>,
}

/// Talks to registered items from the test process.
pub struct TrayClient {
    connection: zbus::Connection,
}

impl TrayClient {
    pub fn new(session: &Session) -> TrayClient {
        TrayClient {
            connection: session.connection().clone(),
        }
    }

    /// Reads all org.kde.StatusNotifierItem properties. Panics on a D-Bus error.
    pub fn properties(&self, item: &TrayItem) -> ItemProperties {
        self.try_properties(item)
            .unwrap_or_else(|e| panic!("reading StatusNotifierItem properties of {item:?}: {e}"))
    }

    pub fn try_properties(&self, item: &TrayItem) -> zbus::Result<ItemProperties> {
        let reply = zbus::block_on(self.connection.call_method(
            Some(item.bus_name.as_str()),
            item.object_path.as_str(),
            Some("org.freedesktop.DBus.Properties"),
            "GetAll",
            &(ITEM_IFACE,),
        ))?;
        let props: HashMap<String, OwnedVariant> = reply.body().deserialize()?;
        let string = |key: &str| match props.get(key).map(|v| peel(v)) {
            Some(Variant::Str(s)) => Some(s.as_str().to_owned()),
            Some(Variant::ObjectPath(p)) => Some(p.as_str().to_owned()),
            _ => None,
        };
        let tool_tip = props.get("ToolTip").and_then(|v| match peel(v) {
            Variant::Structure(s) => {
                let f = s.fields();
                let text = |i: usize| match f.get(i).map(peel) {
                    Some(Variant::Str(s)) => s.as_str().to_owned(),
                    _ => String::new(),
                };
                Some((text(0), text(2), text(3)))
            }
            _ => None,
        });
        Ok(ItemProperties {
            id: string("Id"),
            category: string("Category"),
            status: string("Status"),
            title: string("Title"),
            icon_name: string("IconName"),
            icon_theme_path: string("IconThemePath"),
            attention_icon_name: string("AttentionIconName"),
            tool_tip,
            menu: string("Menu"),
            label: string("XAyatanaLabel"),
            raw: props.iter().map(|(k, v)| (k.clone(), render(v))).collect(),
        })
    }

    /// The item's `Menu` object path. Panics if it has none.
    pub fn menu_path(&self, item: &TrayItem) -> String {
        let props = self.properties(item);
        match props.menu {
            Some(path) if path != "/" => path,
            _ => panic!(
                "StatusNotifierItem {item:?} has no Menu; properties: {:?}",
                props.raw
            ),
        }
    }

    /// `GetLayout(0, -1, [])` on the item's menu, parsed. Panics on a D-Bus/format error.
    pub fn layout(&self, item: &TrayItem) -> MenuNode {
        self.try_layout(item)
            .unwrap_or_else(|e| panic!("GetLayout on the menu of {item:?}: {e}"))
    }

    pub fn try_layout(&self, item: &TrayItem) -> Result<MenuNode, String> {
        let menu = self
            .try_properties(item)
            .map_err(|e| format!("reading properties: {e}"))?
            .menu
            .filter(|p| p != "/")
            .ok_or_else(|| "item has no Menu property (yet)".to_owned())?;
        let reply = zbus::block_on(self.connection.call_method(
            Some(item.bus_name.as_str()),
            menu.as_str(),
            Some(DBUSMENU_IFACE),
            "GetLayout",
            &(0i32, -1i32, Vec::<String>::new()),
        ))
        .map_err(|e| format!("GetLayout on {menu}: {e}"))?;
        type Layout = (i32, HashMap<String, OwnedVariant>, Vec<OwnedVariant>);
        let (_revision, (id, props, children)): (u32, Layout) = reply
            .body()
            .deserialize()
            .map_err(|e| format!("decoding GetLayout reply: {e}"))?;
        let props: Vec<(String, &Variant<'_>)> =
            props.iter().map(|(k, v)| (k.clone(), peel(v))).collect();
        let children: Vec<&Variant<'_>> = children.iter().map(|v| peel(v)).collect();
        build_node(id, &props, &children)
    }

    /// Polls the menu layout until `predicate` holds; returns that layout. On timeout the error
    /// shows the last layout seen (or the last error).
    pub fn wait_for_menu<F>(
        &self,
        item: &TrayItem,
        mut predicate: F,
        timeout: Duration,
    ) -> Result<MenuNode, WaitError>
    where
        F: FnMut(&MenuNode) -> bool,
    {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.try_layout(item) {
                Ok(menu) if predicate(&menu) => return Ok(menu),
                Ok(menu) => format!("last menu seen:\n{}", menu.pretty()),
                Err(e) => format!("last error: {e}"),
            };
            if Instant::now() >= deadline {
                return Err(WaitError::new(format!(
                    "timed out after {timeout:?} waiting for the menu of {item:?} to match; {last}"
                )));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Polls the item's properties until `predicate` holds.
    pub fn wait_for_properties<F>(
        &self,
        item: &TrayItem,
        mut predicate: F,
        timeout: Duration,
    ) -> Result<ItemProperties, WaitError>
    where
        F: FnMut(&ItemProperties) -> bool,
    {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.try_properties(item) {
                Ok(props) if predicate(&props) => return Ok(props),
                Ok(props) => format!("last properties seen: {:?}", props.raw),
                Err(e) => format!("last error: {e}"),
            };
            if Instant::now() >= deadline {
                return Err(WaitError::new(format!(
                    "timed out after {timeout:?} waiting for the properties of {item:?}; {last}"
                )));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// com.canonical.dbusmenu `AboutToShow(id)`; returns the `needUpdate` flag.
    pub fn about_to_show(&self, item: &TrayItem, id: i32) -> bool {
        let menu = self.menu_path(item);
        let reply = zbus::block_on(self.connection.call_method(
            Some(item.bus_name.as_str()),
            menu.as_str(),
            Some(DBUSMENU_IFACE),
            "AboutToShow",
            &(id,),
        ))
        .unwrap_or_else(|e| panic!("AboutToShow({id}) on {menu}: {e}"));
        reply
            .body()
            .deserialize::<bool>()
            .unwrap_or_else(|e| panic!("decoding AboutToShow reply: {e}"))
    }

    /// Sends com.canonical.dbusmenu `Event(id, "clicked", <int32 0>, 0)`, as a panel does when
    /// the user clicks the item.
    pub fn click(&self, item: &TrayItem, id: i32) {
        let menu = self.menu_path(item);
        zbus::block_on(self.connection.call_method(
            Some(item.bus_name.as_str()),
            menu.as_str(),
            Some(DBUSMENU_IFACE),
            "Event",
            &(id, "clicked", Variant::from(0i32), 0u32),
        ))
        .unwrap_or_else(|e| panic!("Event({id}, \"clicked\") on {menu}: {e}"));
    }

    /// Finds the item labelled `text` (mnemonics stripped) in the current menu and clicks it.
    /// Panics, showing the menu, if there is no such item.
    pub fn click_label(&self, item: &TrayItem, text: &str) {
        let menu = self.layout(item);
        let node = menu
            .find_label(text)
            .unwrap_or_else(|| panic!("no menu item labelled {text:?}; menu:\n{}", menu.pretty()));
        self.click(item, node.id);
    }

    /// Whether the item's bus name still has an owner (i.e. the program is still on the bus).
    pub fn is_alive(&self, item: &TrayItem) -> bool {
        let reply = zbus::block_on(self.connection.call_method(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus"),
            "NameHasOwner",
            &(item.bus_name.as_str(),),
        ))
        .unwrap_or_else(|e| panic!("NameHasOwner({}): {e}", item.bus_name));
        reply
            .body()
            .deserialize::<bool>()
            .unwrap_or_else(|e| panic!("decoding NameHasOwner reply: {e}"))
    }
}

/// Unwraps nested `v` wrappers.
fn peel<'a, 'v>(v: &'a Variant<'v>) -> &'a Variant<'v> {
    match v {
        Variant::Variant(inner) => peel(inner),
        other => other,
    }
}

/// Short text rendering of a property value.
fn render(v: &Variant<'_>) -> String {
    match peel(v) {
        Variant::Str(s) => format!("{:?}", s.as_str()),
        Variant::ObjectPath(p) => p.as_str().to_owned(),
        Variant::Bool(b) => b.to_string(),
        Variant::U8(n) => n.to_string(),
        Variant::I32(n) => n.to_string(),
        Variant::U32(n) => n.to_string(),
        Variant::I64(n) => n.to_string(),
        Variant::U64(n) => n.to_string(),
        Variant::F64(n) => n.to_string(),
        Variant::Array(a) if a.len() > 16 => {
            format!("<array {} of {} elements>", a.signature(), a.len())
        }
        other => format!("{other:?}"),
    }
}

fn build_node(
    id: i32,
    props: &[(String, &Variant<'_>)],
    children: &[&Variant<'_>],
) -> Result<MenuNode, String> {
    let get = |key: &str| props.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
    let string = |key: &str| match get(key) {
        Some(Variant::Str(s)) => Some(s.as_str().to_owned()),
        _ => None,
    };
    let boolean = |key: &str| match get(key) {
        Some(Variant::Bool(b)) => Some(*b),
        _ => None,
    };
    let toggle_state = match get("toggle-state") {
        Some(Variant::I32(n)) => Some(*n),
        _ => None,
    };
    let mut node = MenuNode {
        id,
        label: string("label").unwrap_or_default(),
        enabled: boolean("enabled").unwrap_or(true),
        visible: boolean("visible").unwrap_or(true),
        item_type: string("type").unwrap_or_else(|| "standard".to_owned()),
        toggle_type: string("toggle-type").filter(|t| !t.is_empty()),
        toggle_state,
        children_display: string("children-display").filter(|d| !d.is_empty()),
        properties: props.iter().map(|(k, v)| (k.clone(), render(v))).collect(),
        children: Vec::with_capacity(children.len()),
    };
    for child in children {
        node.children.push(parse_child(child)?);
    }
    Ok(node)
}

/// Parses one `(ia{sv}av)` child structure.
fn parse_child(v: &Variant<'_>) -> Result<MenuNode, String> {
    let Variant::Structure(s) = peel(v) else {
        return Err(format!("menu child is not a structure: {v:?}"));
    };
    let fields = s.fields();
    let (Some(Variant::I32(id)), Some(props), Some(children)) = (
        fields.first().map(peel),
        fields.get(1).map(peel),
        fields.get(2).map(peel),
    ) else {
        return Err(format!("menu child is not (ia{{sv}}av): {s:?}"));
    };
    let Variant::Dict(props) = props else {
        return Err(format!("menu child properties are not a{{sv}}: {props:?}"));
    };
    let props: Vec<(String, &Variant<'_>)> = props
        .iter()
        .map(|(k, v)| {
            let key = match peel(k) {
                Variant::Str(s) => s.as_str().to_owned(),
                other => format!("{other:?}"),
            };
            (key, peel(v))
        })
        .collect();
    let Variant::Array(children) = children else {
        return Err(format!("menu child children are not av: {children:?}"));
    };
    let children: Vec<&Variant<'_>> = children.inner().iter().map(peel).collect();
    build_node(*id, &props, &children)
}
