//! Start at login: `calltray autostart enable | disable | status`.
//!
//! Each platform has its own kind of login entry, and the entry always runs this very
//! binary, so it works for a package install and for a build in a home folder alike:
//! - Linux: a desktop entry in `$XDG_CONFIG_HOME/autostart/` (the XDG Autostart
//!   specification, which GNOME, KDE, Xfce and the others follow). A systemd user unit is the
//!   alternative for those who prefer it (`packaging/linux/calltray.service`, see the README).
//! - macOS: a LaunchAgent in `~/Library/LaunchAgents/`, which launchd loads at login.
//! - Windows: a value under `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`.
//!
//! This module writes the text of each (pure, tested on every platform); where it goes is
//! [`crate::platform`]'s business.

use std::path::Path;

/// One argument of a desktop entry's `Exec` key, as the Desktop Entry Specification asks:
/// first quoted (inside double quotes, `"`, `` ` ``, `$` and `\` take a `\`; `%` is doubled,
/// or it would start a field code), then escaped as every string value is (each `\` doubled),
/// so `$` is written `\\$` and `\` four times. `None` for a control character, which no
/// escape carries through both rules.
pub fn exec_arg(arg: &str) -> Option<String> {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for c in arg.chars() {
        match c {
            c if c.is_control() => return None,
            '"' | '`' | '$' => {
                out.push_str("\\\\");
                out.push(c);
            }
            '\\' => out.push_str("\\\\\\\\"),
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

/// The desktop entry that starts `program` (with `--config config` when one was named) at
/// login; `None` when a path cannot be written in one (bytes that are not UTF-8, which
/// would come back as another path, a control character, or a `%` in the program's path,
/// which GLib looks for before it reads `%%` back as `%`). `TryExec` lets the session
/// skip the entry once the program is gone (the package removed).
pub fn desktop_entry(program: &Path, config: Option<&Path>) -> Option<String> {
    let program = program.to_str().filter(|p| !p.contains('%'))?;
    let mut exec = exec_arg(program)?;
    if let Some(config) = config {
        exec.push_str(" --config ");
        exec.push_str(&exec_arg(config.to_str()?)?);
    }
    let try_exec = program.replace('\\', "\\\\");
    Some(format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=calltray\n\
         Comment=Desk notifications for your Ubity phone calls\n\
         Comment[fr]=Vos appels Ubity sur votre bureau\n\
         TryExec={try_exec}\n\
         Exec={exec}\n\
         Icon=calltray\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n"
    ))
}

/// Text inside an XML element: `&`, `<` and `>` escaped.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The launchd property list of a LaunchAgent that starts `program` (with `--config config`
/// when one was named) when the user logs in to the desktop (`Aqua`), not over ssh. It is not
/// kept alive: Quit in the menu stays quit until the next login.
pub fn launch_agent(program: &Path, config: Option<&Path>) -> String {
    let mut args = vec![program.to_string_lossy().into_owned()];
    if let Some(config) = config {
        args.push("--config".into());
        args.push(config.to_string_lossy().into_owned());
    }
    let args: String = args
        .iter()
        .map(|a| format!("        <string>{}</string>\n", xml_text(a)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \x20   <key>Label</key>\n\
         \x20   <string>{id}</string>\n\
         \x20   <key>ProgramArguments</key>\n\
         \x20   <array>\n\
         {args}\
         \x20   </array>\n\
         \x20   <key>RunAtLoad</key>\n\
         \x20   <true/>\n\
         \x20   <key>ProcessType</key>\n\
         \x20   <string>Interactive</string>\n\
         \x20   <key>LimitLoadToSessionType</key>\n\
         \x20   <string>Aqua</string>\n\
         </dict>\n\
         </plist>\n",
        id = crate::APP_ID,
    )
}

/// One argument of a Windows command line, quoted so that the C runtime's parser (and
/// `CommandLineToArgvW`) reads it back unchanged: inside double quotes, a `"` is escaped with
/// `\`, and so is every backslash that comes before a `"` or before the closing quote.
pub fn windows_arg(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', 2 * backslashes + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', 2 * backslashes));
    out.push('"');
    out
}

/// The command line of the Windows `Run` value that starts `program` (with `--config config`
/// when one was named) at login.
pub fn run_command(program: &Path, config: Option<&Path>) -> String {
    let mut line = windows_arg(&program.to_string_lossy());
    if let Some(config) = config {
        line.push_str(" --config ");
        line.push_str(&windows_arg(&config.to_string_lossy()));
    }
    line
}

/// How an XDG desktop session will treat calltray at login, from the user's entry (its text,
/// when there is one) and whether a package installed a system-wide entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XdgLogin {
    /// The user's own entry starts it.
    User,
    /// The package's entry starts it (nothing of the user's overrides it).
    System,
    /// The user's entry hides the package's: nothing starts.
    Hidden,
    /// There is no entry at all.
    Off,
}

/// The XDG Autostart rule: a user's entry replaces the system's entry of the same name, and
/// an entry with `Hidden=true` counts as deleted, taking the system's with it.
pub fn xdg_login(user_entry: Option<&str>, system_entry: bool) -> XdgLogin {
    match user_entry {
        Some(text) if hides(text) => {
            if system_entry {
                XdgLogin::Hidden
            } else {
                XdgLogin::Off
            }
        }
        Some(_) => XdgLogin::User,
        None if system_entry => XdgLogin::System,
        None => XdgLogin::Off,
    }
}

/// Whether a desktop entry turns itself off: `Hidden=true` (the spec's "deleted"), or the
/// key that GNOME's (and Cinnamon's) or MATE's "Startup Applications" set to `false` when the
/// user unticks an entry.
pub fn hides(text: &str) -> bool {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .any(|(k, v)| {
            matches!(
                (k.trim(), v.trim()),
                ("Hidden", "true")
                    | ("X-GNOME-Autostart-enabled", "false")
                    | ("X-MATE-Autostart-enabled", "false")
            )
        })
}

/// The user's entry that turns off the package's entry for this user alone: the XDG way to
/// opt out of a system-wide autostart without touching the package's files.
pub fn hiding_entry() -> String {
    "[Desktop Entry]\n\
     Type=Application\n\
     Name=calltray\n\
     Comment=Written by `calltray autostart disable`: keeps the package's entry from starting calltray\n\
     Hidden=true\n"
        .to_string()
}

/// Removes an entry file; `false` when there was none.
pub fn remove(path: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_user_entry_turns_off_the_packages_entry() {
        let own = desktop_entry(Path::new("/usr/bin/calltray"), None).unwrap();
        let hidden = hiding_entry();
        assert_eq!(xdg_login(None, false), XdgLogin::Off);
        assert_eq!(xdg_login(None, true), XdgLogin::System);
        assert_eq!(xdg_login(Some(&own), false), XdgLogin::User);
        assert_eq!(xdg_login(Some(&own), true), XdgLogin::User);
        assert_eq!(xdg_login(Some(&hidden), true), XdgLogin::Hidden);
        assert_eq!(xdg_login(Some(&hidden), false), XdgLogin::Off);
        assert_eq!(
            xdg_login(Some("[Desktop Entry]\nHidden = true\n"), true),
            XdgLogin::Hidden
        );
        assert_eq!(
            xdg_login(Some("[Desktop Entry]\nHidden=false\n"), true),
            XdgLogin::User
        );
        let unticked = own.replace("Autostart-enabled=true", "Autostart-enabled=false");
        assert_eq!(xdg_login(Some(&unticked), true), XdgLogin::Hidden);
        assert_eq!(xdg_login(Some(&unticked), false), XdgLogin::Off);
        let mate = format!("{own}X-MATE-Autostart-enabled=false\n");
        assert_eq!(xdg_login(Some(&mate), true), XdgLogin::Hidden);
    }

    #[test]
    fn exec_arguments_are_quoted_as_the_spec_asks() {
        assert_eq!(
            exec_arg("/usr/bin/calltray").unwrap(),
            "\"/usr/bin/calltray\""
        );
        assert_eq!(
            exec_arg("/home/a b/my \"calls\" $HOME\\100%.toml").unwrap(),
            r#""/home/a b/my \\"calls\\" \\$HOME\\\\100%%.toml""#
        );
        assert_eq!(exec_arg("/home/a/new\nline.toml"), None);
        assert_eq!(exec_arg("/home/a/tab\t.toml"), None);
    }

    /// Reads an `Exec` value back as a launcher does, by the spec's two rules in order: the
    /// string escapes (`\\` is `\`), then the quoting (`\` before `"`, `` ` ``, `$`, `\`), and
    /// `%%` for `%`.
    fn argv(exec: &str) -> Vec<String> {
        let mut unescaped = String::new();
        let mut chars = exec.chars();
        while let Some(c) = chars.next() {
            match (c, c == '\\') {
                (_, true) => unescaped.push(
                    chars
                        .next()
                        .map_or('\\', |n| if n == '\\' { '\\' } else { n }),
                ),
                (c, false) => unescaped.push(c),
            }
        }
        let (mut args, mut arg, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = unescaped.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => quoted = !quoted,
                '\\' if quoted => arg.push(chars.next().unwrap()),
                '%' => arg.push(chars.next().unwrap()),
                ' ' if !quoted => args.push(std::mem::take(&mut arg)),
                c => arg.push(c),
            }
        }
        args.push(arg);
        args
    }

    #[test]
    fn every_path_comes_back_whole_from_the_entry() {
        for config in [
            "/home/a/c.toml",
            "/home/a b/R&D 'desk' #2; 100%.toml",
            "/home/a/$HOME \"quoted\" `ls` back\\slash\\\\two.toml",
        ] {
            let e = desktop_entry(
                Path::new("/opt/call tray/calltray"),
                Some(Path::new(config)),
            )
            .unwrap();
            let exec = e.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap();
            assert_eq!(
                argv(exec),
                ["/opt/call tray/calltray", "--config", config],
                "{exec}"
            );
        }
    }

    #[test]
    fn paths_no_entry_can_carry_are_refused() {
        assert!(desktop_entry(Path::new("/opt/calltray"), Some(Path::new("/a/b\nc"))).is_none());
        assert!(desktop_entry(Path::new("/opt/100%/calltray"), None).is_none());
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let latin1 = Path::new(std::ffi::OsStr::from_bytes(b"/home/a/bur\xe9au.toml"));
            assert!(desktop_entry(Path::new("/opt/calltray"), Some(latin1)).is_none());
        }
    }

    #[test]
    fn the_entry_names_the_config_when_one_was_given() {
        let e = desktop_entry(
            Path::new("/opt/calltray"),
            Some(Path::new("/home/a/c.toml")),
        )
        .unwrap();
        assert!(
            e.contains("\nExec=\"/opt/calltray\" --config \"/home/a/c.toml\"\n"),
            "{e}"
        );
        assert!(e.contains("\nTryExec=/opt/calltray\n"), "{e}");
        let e = desktop_entry(Path::new("/opt/calltray"), None).unwrap();
        assert!(e.contains("\nExec=\"/opt/calltray\"\n"), "{e}");
    }

    #[test]
    fn the_launch_agent_runs_the_program_at_login_with_its_config() {
        let plist = launch_agent(
            Path::new("/Applications/calltray.app/Contents/MacOS/calltray"),
            Some(Path::new("/Users/a/R&D <desk>.toml")),
        );
        assert!(
            plist.contains("<string>io.github.calltray.Calltray</string>"),
            "{plist}"
        );
        assert!(
            plist.contains(
                "<array>\n        <string>/Applications/calltray.app/Contents/MacOS/calltray</string>\n        <string>--config</string>\n        <string>/Users/a/R&amp;D &lt;desk&gt;.toml</string>\n    </array>"
            ),
            "{plist}"
        );
        for part in [
            "<key>RunAtLoad</key>\n    <true/>",
            "<key>ProcessType</key>\n    <string>Interactive</string>",
            "<key>LimitLoadToSessionType</key>\n    <string>Aqua</string>",
        ] {
            assert!(plist.contains(part), "{part} in {plist}");
        }
        assert!(plist.ends_with("</dict>\n</plist>\n"), "{plist}");
        let plain = launch_agent(Path::new("/opt/calltray"), None);
        assert!(!plain.contains("--config"), "{plain}");
    }

    #[test]
    fn windows_arguments_survive_the_c_runtime_parser() {
        assert_eq!(
            windows_arg(r"C:\Program Files\calltray\calltray.exe"),
            r#""C:\Program Files\calltray\calltray.exe""#
        );
        // Backslashes are doubled only before a quote, or before the closing one.
        assert_eq!(windows_arg(r#"a"b"#), r#""a\"b""#);
        assert_eq!(windows_arg(r#"a\"b"#), r#""a\\\"b""#);
        assert_eq!(windows_arg(r"C:\dir\"), r#""C:\dir\\""#);
        assert_eq!(
            run_command(
                Path::new(r"C:\calltray.exe"),
                Some(Path::new(r"C:\Users\a b\c.toml"))
            ),
            r#""C:\calltray.exe" --config "C:\Users\a b\c.toml""#
        );
    }
}
