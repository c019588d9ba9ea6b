//! Toasts as notify-rust sends them on macOS and Windows: shown once, never changed, withdrawn
//! or clicked through (notify-rust reports a click there only to a thread that blocks on each
//! toast), so these platforms show each step of a call as a new toast and carry no buttons.

use crate::actions::Registry;
use crate::tracker::CallKey;
use crate::view::ToastAction;
use notify_rust::Notification;

/// Nothing to keep: a shown toast cannot be changed or withdrawn.
#[derive(Debug)]
pub struct ShownToast(pub(super) ());

pub const TOAST_BUTTONS: bool = false;

/// Never in place: the caller shows the new state as a new toast.
pub fn update_toast(_shown: &mut ShownToast, _fill: impl FnOnce(&mut Notification)) -> bool {
    false
}

pub fn close_toast(_shown: ShownToast) {}

pub fn toast_id(_shown: &ShownToast) -> Option<u32> {
    None
}

pub fn listen_for_toast_buttons(
    _on_click: impl Fn(CallKey, ToastAction) + Send + 'static,
) -> std::io::Result<Option<Registry>> {
    Ok(None)
}
