//! The tray icon and its menu (tray-icon on the tao event loop).
//!
//! A thin adapter: it draws the [`TrayView`] the agent computed and turns menu clicks into
//! messages. It runs on the main thread because GTK (and macOS's AppKit) must; the agent
//! reaches it through the event loop's proxy, so nothing here ever blocks the listener.
//! What differs by platform (whether there can be a tray, how the event loop is set up, the
//! clipboard) is in [`crate::platform`].

use crate::agent::AgentMsg;
use crate::view::{MenuWords, RecentCall, TrayIcon as IconState, TrayView};
use std::path::PathBuf;
use std::sync::mpsc::SyncSender;
use tao::event::{Event, StartCause};
use tao::event_loop::{ControlFlow, EventLoop, EventLoopProxy};
use tray_icon::menu::{
    CheckMenuItem, IsMenuItem, Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem, Submenu,
};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

/// What the event loop is told.
#[derive(Debug)]
pub enum TrayMsg {
    View(Box<TrayView>),
    Menu(MenuId),
    /// Put this on the clipboard (a toast's Copy number).
    Copy(String),
    /// The agent has stopped: end the event loop.
    Exit,
}

/// Why there can be no tray in this session; the agent then runs headless.
pub fn unavailable() -> Option<String> {
    crate::platform::tray_unavailable()
}

/// A tray ready to run: the event loop exists, so the agent can be given its proxy.
pub struct Tray {
    event_loop: EventLoop<TrayMsg>,
}

impl Tray {
    /// Creates the event loop. Call [`unavailable`] first: tao panics without a display.
    pub fn new() -> Tray {
        Tray {
            event_loop: crate::platform::tray_event_loop(),
        }
    }

    /// A function the agent calls with every new view.
    pub fn view_sink(&self) -> Box<dyn FnMut(TrayView) + Send> {
        let proxy: EventLoopProxy<TrayMsg> = self.event_loop.create_proxy();
        Box::new(move |view| {
            // Fails only once the event loop has ended, when there is nothing left to draw.
            let _ = proxy.send_event(TrayMsg::View(Box::new(view)));
        })
    }

    /// A function that puts text on the clipboard, which this event loop owns.
    pub fn copy_sink(&self) -> Box<dyn Fn(String) + Send> {
        let proxy: EventLoopProxy<TrayMsg> = self.event_loop.create_proxy();
        Box::new(move |text| {
            let _ = proxy.send_event(TrayMsg::Copy(text));
        })
    }

    /// A function the agent's thread calls once it has stopped, to end the event loop.
    pub fn exit_sink(&self) -> Box<dyn FnOnce() + Send> {
        let proxy: EventLoopProxy<TrayMsg> = self.event_loop.create_proxy();
        Box::new(move || {
            let _ = proxy.send_event(TrayMsg::Exit);
        })
    }

    /// Runs the event loop on this thread until the user chooses Quit; never returns.
    pub fn run(self, agent: SyncSender<AgentMsg>, config_path: PathBuf) -> ! {
        let proxy = self.event_loop.create_proxy();
        MenuEvent::set_event_handler(Some(move |e: MenuEvent| {
            let _ = proxy.send_event(TrayMsg::Menu(e.id));
        }));
        let mut ui: Option<TrayUi> = None;
        let mut pending: Option<TrayView> = None;
        self.event_loop.run(move |event, _, control_flow| {
            *control_flow = ControlFlow::Wait;
            match event {
                Event::NewEvents(StartCause::Init) => match TrayUi::build() {
                    Ok(mut built) => {
                        if let Some(view) = pending.take() {
                            built.show(&view);
                        }
                        ui = Some(built);
                    }
                    Err(e) => {
                        tracing::error!("cannot create the tray icon: {e}; toasts still work")
                    }
                },
                Event::UserEvent(TrayMsg::View(view)) => match ui.as_mut() {
                    Some(ui) => ui.show(&view),
                    None => pending = Some(*view),
                },
                Event::UserEvent(TrayMsg::Exit) => *control_flow = ControlFlow::Exit,
                Event::UserEvent(TrayMsg::Copy(text)) => copy_to_clipboard(&text),
                Event::UserEvent(TrayMsg::Menu(id)) => {
                    if let Some(ui) = ui.as_ref() {
                        match ui.clicked(&id) {
                            Click::Quit => {
                                // The agent withdraws lingering toasts, then ends this loop
                                // through `exit_sink`; without an agent, end it now.
                                if agent.try_send(AgentMsg::Quit).is_err() {
                                    *control_flow = ControlFlow::Exit;
                                }
                            }
                            Click::OpenConfig => open_file(&config_path),
                            Click::Copy(number) => {
                                copy_to_clipboard(&number);
                                let _ = agent.try_send(AgentMsg::MarkSeen);
                            }
                            Click::MarkSeen => {
                                let _ = agent.try_send(AgentMsg::MarkSeen);
                            }
                            Click::CallBack { number, extension } => {
                                let _ = agent.try_send(AgentMsg::CallBack { number, extension });
                            }
                            Click::DoNotDisturb(on) => {
                                let _ = agent.try_send(AgentMsg::DoNotDisturb(on));
                            }
                            Click::Nothing => {}
                        }
                    }
                }
                _ => {}
            }
        })
    }
}

impl Default for Tray {
    fn default() -> Self {
        Tray::new()
    }
}

enum Click {
    Quit,
    OpenConfig,
    Copy(String),
    MarkSeen,
    DoNotDisturb(bool),
    CallBack { number: String, extension: String },
    Nothing,
}

/// The live tray widgets.
struct TrayUi {
    icon: TrayIcon,
    status: MenuItem,
    recent_menu: Submenu,
    recent_items: Vec<Submenu>,
    recent_shown: Vec<RecentCall>,
    call_back_shown: bool,
    no_calls: MenuItem,
    menu: Menu,
    /// Only in the menu while there are unseen missed calls.
    mark_seen: MenuItem,
    mark_seen_shown: bool,
    shown_icon: IconState,
    open: MenuItem,
    quit: MenuItem,
    /// The fixed labels last set, so they are only set again when the language changes.
    words_shown: Option<MenuWords>,
    /// Checked: no toasts until unchecked (quiet hours do the same on a schedule).
    dnd: CheckMenuItem,
}

const COPY_PREFIX: &str = "copy-";
const CALL_PREFIX: &str = "call-";

impl TrayUi {
    fn build() -> Result<TrayUi, String> {
        // The labels come with the first view; until then the items are empty.
        let status = MenuItem::new("calltray", false, None);
        let no_calls = MenuItem::new("", false, None);
        let recent_menu = Submenu::new("", true);
        recent_menu.append(&no_calls).map_err(|e| e.to_string())?;
        let mark_seen = MenuItem::with_id("mark-seen", "", true, None);
        let dnd = CheckMenuItem::with_id("dnd", "", true, false, None);
        let open = MenuItem::with_id("open-config", "", true, None);
        let quit = MenuItem::with_id("quit", "", true, None);
        let menu = Menu::new();
        let items: [&dyn IsMenuItem; 7] = [
            &status,
            &PredefinedMenuItem::separator(),
            &recent_menu,
            &PredefinedMenuItem::separator(),
            &dnd,
            &open,
            &quit,
        ];
        menu.append_items(&items).map_err(|e| e.to_string())?;
        let icon = TrayIconBuilder::new()
            .with_id(crate::APP_ID)
            .with_menu(Box::new(menu.clone()))
            .with_icon(icon_for(IconState::Idle)?)
            .with_tooltip("calltray")
            .build()
            .map_err(|e| e.to_string())?;
        Ok(TrayUi {
            icon,
            status,
            recent_menu,
            recent_items: Vec::new(),
            recent_shown: Vec::new(),
            call_back_shown: false,
            no_calls,
            menu,
            mark_seen,
            mark_seen_shown: false,
            open,
            quit,
            words_shown: None,
            shown_icon: IconState::Idle,
            dnd,
        })
    }

    fn show(&mut self, view: &TrayView) {
        self.status.set_text(menu_text(&view.status));
        let words_changed = self.words_shown.as_ref() != Some(&view.words);
        if words_changed {
            let w = &view.words;
            self.relabel_recent(&w.recent);
            self.no_calls.set_text(menu_text(&w.no_calls));
            self.dnd.set_text(menu_text(&w.do_not_disturb));
            self.open.set_text(menu_text(&w.open_config));
            self.quit.set_text(menu_text(&w.quit));
            self.mark_seen.set_text(menu_text(&w.mark_seen));
        }
        if let Err(e) = self.icon.set_tooltip(Some(&view.tooltip)) {
            tracing::debug!("tooltip not set: {e}");
        }
        // No title: on Linux (appindicator's label) and on macOS (the menu bar) it is drawn
        // beside the icon, where the status would crowd the panel, and Windows has none. The
        // menu's first line shows the status.
        if view.icon != self.shown_icon {
            match icon_for(view.icon)
                .and_then(|i| self.icon.set_icon(Some(i)).map_err(|e| e.to_string()))
            {
                Ok(()) => self.shown_icon = view.icon,
                Err(e) => tracing::warn!("tray icon not changed: {e}"),
            }
        }
        let want_mark_seen = view.unseen_missed > 0;
        if want_mark_seen != self.mark_seen_shown {
            // Right below "Recent calls": status, separator, recent calls, then this.
            let changed = if want_mark_seen {
                self.menu.insert(&self.mark_seen, 3)
            } else {
                self.menu.remove(&self.mark_seen)
            };
            match changed {
                Ok(()) => self.mark_seen_shown = want_mark_seen,
                Err(e) => tracing::warn!("tray menu not updated: {e}"),
            }
        }
        if view.recent != self.recent_shown
            || view.call_back != self.call_back_shown
            || words_changed
        {
            self.show_recent(&view.recent, view.call_back, &view.words);
        }
        self.words_shown = Some(view.words.clone());
    }

    /// A new "Recent calls" submenu in place of the old one: appindicator does not pass a
    /// submenu's new label on to the panel, so the label is only ever set at creation.
    /// [`TrayUi::show_recent`] fills it again right after.
    fn relabel_recent(&mut self, label: &str) {
        let fresh = Submenu::new(menu_text(label), true);
        // Status, separator, then "Recent calls".
        if self.menu.insert(&fresh, 2).is_ok() {
            let _ = self.menu.remove(&self.recent_menu);
            self.recent_items.clear();
            self.recent_menu = fresh;
        } else {
            tracing::warn!("tray menu not updated: the recent calls keep their old label");
        }
    }

    fn show_recent(&mut self, recent: &[RecentCall], call_back: bool, words: &MenuWords) {
        for item in self.recent_items.drain(..) {
            let _ = self.recent_menu.remove(&item);
        }
        let _ = self.recent_menu.remove(&self.no_calls);
        if recent.is_empty() {
            let _ = self.recent_menu.append(&self.no_calls);
        }
        for (i, call) in recent.iter().enumerate() {
            let entry = Submenu::new(menu_text(&call.label), true);
            let copy = if call.number.is_empty() {
                MenuItem::new(menu_text(&words.no_number), false, None)
            } else {
                let label = menu_text(&words.copy_number);
                MenuItem::with_id(format!("{COPY_PREFIX}{i}"), label, true, None)
            };
            if call_back && !call.number.is_empty() {
                let label = menu_text(&words.call_back);
                let item = MenuItem::with_id(format!("{CALL_PREFIX}{i}"), label, true, None);
                let _ = entry.append(&item);
            }
            if entry.append(&copy).is_ok() && self.recent_menu.append(&entry).is_ok() {
                self.recent_items.push(entry);
            }
        }
        self.recent_shown = recent.to_vec();
        self.call_back_shown = call_back;
    }

    fn clicked(&self, id: &MenuId) -> Click {
        if id == self.quit.id() {
            Click::Quit
        } else if id == self.open.id() {
            Click::OpenConfig
        } else if id.as_ref() == "mark-seen" {
            Click::MarkSeen
        } else if id == self.dnd.id() {
            // The item has flipped its own check mark by the time the click arrives.
            Click::DoNotDisturb(self.dnd.is_checked())
        } else if let Some(i) = id.as_ref().strip_prefix(COPY_PREFIX) {
            i.parse::<usize>()
                .ok()
                .and_then(|i| self.recent_shown.get(i))
                .map(|c| Click::Copy(c.number.clone()))
                .unwrap_or(Click::Nothing)
        } else if let Some(i) = id.as_ref().strip_prefix(CALL_PREFIX) {
            i.parse::<usize>()
                .ok()
                .and_then(|i| self.recent_shown.get(i))
                .map(|c| Click::CallBack {
                    number: c.number.clone(),
                    extension: c.extension.clone(),
                })
                .unwrap_or(Click::Nothing)
        } else {
            Click::Nothing
        }
    }
}

/// Menu labels treat `&` as a mnemonic marker; a literal one is written twice.
fn menu_text(text: &str) -> String {
    text.replace('&', "&&")
}

/// The tray pictures, drawn in `assets/icons/*.svg` and rendered by `scripts/render-icons.sh`.
fn icon_for(state: IconState) -> Result<Icon, String> {
    let (rgba, width, height) = decode_png(icon_png(state))?;
    Icon::from_rgba(rgba, width, height).map_err(|e| e.to_string())
}

/// The embedded PNG for a state.
fn icon_png(state: IconState) -> &'static [u8] {
    match state {
        IconState::Idle => include_bytes!("../assets/icons/tray-idle-64.png"),
        IconState::Ringing => include_bytes!("../assets/icons/tray-ringing-64.png"),
        IconState::InCall => include_bytes!("../assets/icons/tray-incall-64.png"),
        IconState::Missed => include_bytes!("../assets/icons/tray-missed-64.png"),
    }
}

/// Decodes one of the embedded icons to RGBA pixels.
fn decode_png(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader.output_buffer_size().ok_or("icon too large")?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|g| [*g, *g, *g, 255]).collect(),
        png::ColorType::Indexed => return Err("indexed icon left unexpanded".into()),
    };
    Ok((rgba, info.width, info.height))
}

fn open_file(path: &std::path::Path) {
    if let Err(e) = open::that_detached(path) {
        tracing::warn!("cannot open {}: {e}", path.display());
    }
}

/// Puts text on the clipboard, which stays pasteable after the menu closes.
fn copy_to_clipboard(text: &str) {
    crate::platform::copy_to_clipboard(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_icon_decodes() {
        for state in [
            IconState::Idle,
            IconState::Ringing,
            IconState::InCall,
            IconState::Missed,
        ] {
            let (rgba, w, h) = decode_png(icon_png(state)).expect("icon decodes");
            assert_eq!((w, h), (64, 64));
            assert_eq!(rgba.len(), 64 * 64 * 4);
            assert!(rgba.chunks(4).any(|p| p[3] == 0), "transparent background");
            assert!(rgba.chunks(4).any(|p| p[3] == 255), "drawn shape");
        }
    }

    #[test]
    fn ampersands_stay_literal_in_menus() {
        assert_eq!(menu_text("A&B"), "A&&B");
    }
}
