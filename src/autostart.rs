//! Start at login: `calltray autostart enable | disable | status`.
//!
//! On Linux desktops that is a desktop entry in `$XDG_CONFIG_HOME/autostart/` (the XDG
//! Autostart specification, which GNOME, KDE, Xfce and the others follow): the session starts
//! what it finds there. The entry runs this very binary, so it works for a package install and
//! for a build in a home folder alike. A systemd user unit is the alternative for those who
//! prefer it (`packaging/linux/calltray.service`, see the README).

use std::path::{Path, PathBuf};

/// The autostart entry's file, in the user's config folder.
pub fn entry_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| {
        d.config_dir()
            .join("autostart")
            .join(format!("{}.desktop", crate::APP_ID))
    })
}

/// One argument of a desktop entry's `Exec` key, quoted as the Desktop Entry Specification
/// asks: inside double quotes, `"`, `` ` ``, `$` and `\` are escaped with `\`, and `%` is
/// doubled (it would otherwise start a field code).
pub fn exec_arg(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for c in arg.chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The entry that starts `program` (with `--config config` when one was named) at login.
pub fn entry(program: &Path, config: Option<&Path>) -> String {
    let mut exec = exec_arg(&program.to_string_lossy());
    if let Some(config) = config {
        exec.push_str(" --config ");
        exec.push_str(&exec_arg(&config.to_string_lossy()));
    }
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=calltray\n\
         Comment=Desk notifications for your Ubity phone calls\n\
         Comment[fr]=Vos appels Ubity sur votre bureau\n\
         Exec={exec}\n\
         Icon=calltray\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// Writes the entry (whole or not at all).
pub fn enable(path: &Path, text: &str) -> std::io::Result<()> {
    crate::paths::replace_file(path, text.as_bytes())
}

/// Removes the entry; `false` when there was none.
pub fn disable(path: &Path) -> std::io::Result<bool> {
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
    fn exec_arguments_are_quoted_as_the_spec_asks() {
        assert_eq!(exec_arg("/usr/bin/calltray"), "\"/usr/bin/calltray\"");
        assert_eq!(
            exec_arg("/home/a b/my \"calls\" $HOME\\100%.toml"),
            "\"/home/a b/my \\\"calls\\\" \\$HOME\\\\100%%.toml\""
        );
    }

    #[test]
    fn the_entry_names_the_config_when_one_was_given() {
        let e = entry(
            Path::new("/opt/calltray"),
            Some(Path::new("/home/a/c.toml")),
        );
        assert!(
            e.contains("\nExec=\"/opt/calltray\" --config \"/home/a/c.toml\"\n"),
            "{e}"
        );
        let e = entry(Path::new("/opt/calltray"), None);
        assert!(e.contains("\nExec=\"/opt/calltray\"\n"), "{e}");
    }
}
