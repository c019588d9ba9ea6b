//! A private desktop session: a `dbus-daemon` session bus and an `Xvfb` display, both children
//! of the test process, with HOME and the XDG directories inside a temporary directory.

use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::WaitError;

/// How long `dbus-daemon` and `Xvfb` get to report their address / display number.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Variables passed through from the test process by [`Session::command`]; everything else is
/// dropped so that nothing of the real desktop (WAYLAND_DISPLAY, XAUTHORITY, the real bus...)
/// leaks into the program under test.
/// The locale is not among them: calltray speaks the desktop's language, so each test says
/// which one it runs in (English, unless it passes `LANG`).
const PASSED_THROUGH: &[&str] = &[
    "PATH",
    "LD_LIBRARY_PATH",
    "RUST_BACKTRACE",
    "RUST_LOG",
    "TERM",
];

/// How long a child gets to exit after SIGTERM before it is sent SIGKILL.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Stops `child` by pid: SIGTERM (so e.g. Xvfb removes its socket and lock file), then SIGKILL
/// if it is still running after `grace`; always reaps it. The child is not reaped before this,
/// so its pid cannot have been reused.
fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if sent {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A child process that is stopped (by pid: SIGTERM, then SIGKILL) and reaped when dropped.
struct Daemon {
    name: &'static str,
    child: Child,
    // Kept open so the daemon never gets SIGPIPE/EPIPE on its stdout.
    stdout_pipe: Option<ChildStdout>,
    stderr_log: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        terminate(&mut self.child, SHUTDOWN_GRACE);
    }
}

impl Daemon {
    /// Spawns `program`, stdout piped (for the first line it reports), stderr to a log file.
    fn spawn(
        name: &'static str,
        debian_package: &str,
        mut cmd: Command,
        stderr_log: PathBuf,
    ) -> Daemon {
        let stderr = fs::File::create(&stderr_log)
            .unwrap_or_else(|e| panic!("creating {}: {e}", stderr_log.display()));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "`{name}` is not installed, but the integration tests need it: \
                 install the Debian package `{debian_package}` \
                 (apt-get install -y {debian_package}). ({e})"
            ),
            Err(e) => panic!("failed to start `{name}`: {e}"),
        };
        Daemon {
            name,
            child,
            stdout_pipe: None,
            stderr_log,
        }
    }

    /// Reads the first line the daemon prints on stdout, within [`STARTUP_TIMEOUT`].
    fn first_line(&mut self) -> String {
        let stdout = self
            .child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("{}: stdout was not piped", self.name));
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let result = reader.read_line(&mut line).map(|_| line);
            // Hand the pipe back so it stays open for the daemon's lifetime.
            let _ = tx.send((result, reader.into_inner()));
        });
        match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok((Ok(line), stdout)) if !line.trim().is_empty() => {
                self.stdout_pipe = Some(stdout);
                line.trim().to_owned()
            }
            Ok((Ok(_), _)) => panic!(
                "{} closed its stdout without printing anything (exit status: {:?}); stderr:\n{}",
                self.name,
                self.child.try_wait(),
                read_log(&self.stderr_log)
            ),
            Ok((Err(e), _)) => panic!("reading {}'s stdout: {e}", self.name),
            Err(_) => panic!(
                "{} printed nothing on stdout within {:?} (exit status: {:?}); stderr:\n{}",
                self.name,
                STARTUP_TIMEOUT,
                self.child.try_wait(),
                read_log(&self.stderr_log)
            ),
        }
    }
}

fn read_log(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| format!("<cannot read {}: {e}>", path.display()))
}

fn create_dir(path: &Path) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A private, throwaway desktop session. Dropping it kills `Xvfb` and `dbus-daemon` and
/// deletes the temporary directory.
pub struct Session {
    // Field order is drop order: clients first, then the daemons, then the directory.
    connection: OnceLock<zbus::Connection>,
    xvfb: Daemon,
    dbus: Daemon,
    bus_address: String,
    display: String,
    dir: tempfile::TempDir,
}

impl Session {
    /// Starts `dbus-daemon` (session bus, no service activation) and `Xvfb` on a free display.
    ///
    /// Panics, naming the Debian package to install, if either program is missing.
    pub fn start() -> Session {
        let dir = tempfile::Builder::new()
            .prefix("calltray-session-")
            .tempdir()
            .expect("creating the session's temporary directory");
        let root = dir.path().to_path_buf();
        for sub in [
            "home/.config",
            "home/.local/share",
            "home/.local/state",
            "home/.cache",
            "logs",
        ] {
            create_dir(&root.join(sub));
        }
        let runtime = root.join("runtime");
        create_dir(&runtime);
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700))
            .expect("chmod 0700 on XDG_RUNTIME_DIR");

        // dbus-daemon: session bus on a socket in the temp dir; no <servicedir> and no
        // <standard_session_servicedirs/>, so nothing is ever auto-activated.
        let socket = root.join("bus");
        let config = root.join("session-bus.conf");
        let config_text = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            xml_escape(&socket.to_string_lossy())
        );
        fs::write(&config, config_text).expect("writing the dbus-daemon config file");
        let mut cmd = Command::new("dbus-daemon");
        cmd.arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address"]);
        let mut dbus = Daemon::spawn(
            "dbus-daemon",
            "dbus",
            cmd,
            root.join("logs/dbus-daemon.log"),
        );
        let bus_address = dbus.first_line();
        assert!(
            bus_address.starts_with("unix:"),
            "dbus-daemon printed an unexpected address: {bus_address:?}"
        );

        // Xvfb: picks a free display itself and writes its number to fd 1 once it accepts
        // connections.
        let mut cmd = Command::new("Xvfb");
        cmd.args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ]);
        let mut xvfb = Daemon::spawn("Xvfb", "xvfb", cmd, root.join("logs/xvfb.log"));
        let display_number = xvfb.first_line();
        assert!(
            !display_number.is_empty() && display_number.bytes().all(|b| b.is_ascii_digit()),
            "Xvfb -displayfd reported an unexpected display number: {display_number:?}"
        );

        Session {
            connection: OnceLock::new(),
            xvfb,
            dbus,
            bus_address,
            display: format!(":{display_number}"),
            dir,
        }
    }

    /// The environment a program needs to live in this session: DISPLAY,
    /// DBUS_SESSION_BUS_ADDRESS, HOME and XDG_{RUNTIME,CONFIG,DATA,STATE,CACHE}_HOME/DIR inside
    /// the temp dir, plus NO_AT_BRIDGE=1 / GSETTINGS_BACKEND=memory / GIO_USE_VFS=local so GTK
    /// does not try to reach accessibility, dconf or gvfs services that this bus does not have.
    pub fn env(&self) -> Vec<(String, String)> {
        let s = |p: PathBuf| p.to_string_lossy().into_owned();
        vec![
            ("DISPLAY".into(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus_address.clone()),
            ("HOME".into(), s(self.home())),
            ("XDG_RUNTIME_DIR".into(), s(self.runtime_dir())),
            ("XDG_CONFIG_HOME".into(), s(self.config_home())),
            ("XDG_CONFIG_DIRS".into(), s(self.config_dirs())),
            ("XDG_DATA_HOME".into(), s(self.data_home())),
            ("XDG_STATE_HOME".into(), s(self.state_home())),
            ("XDG_CACHE_HOME".into(), s(self.cache_home())),
            ("XDG_SESSION_TYPE".into(), "x11".into()),
            ("GDK_BACKEND".into(), "x11".into()),
            ("NO_AT_BRIDGE".into(), "1".into()),
            ("GSETTINGS_BACKEND".into(), "memory".into()),
            ("GIO_USE_VFS".into(), "local".into()),
            ("LANG".into(), "C.UTF-8".into()),
        ]
    }

    /// A `Command` for `program` with a clean environment: only a few harmless variables of
    /// the test process (PATH, LANG, RUST_LOG, ...) plus [`Session::env`].
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear();
        for key in PASSED_THROUGH {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        cmd.envs(self.env());
        cmd.current_dir(self.home());
        cmd
    }

    /// Spawns `cmd` (typically from [`Session::command`]) with stdin closed and stdout/stderr
    /// written to `logs/<name>.stdout` / `.stderr` in the session directory. The process is
    /// killed when the returned guard is dropped.
    pub fn spawn(&self, name: &str, mut cmd: Command) -> Process {
        let stdout_log = self.dir().join(format!("logs/{name}.stdout"));
        let stderr_log = self.dir().join(format!("logs/{name}.stderr"));
        let stdout = fs::File::create(&stdout_log)
            .unwrap_or_else(|e| panic!("creating {}: {e}", stdout_log.display()));
        let stderr = fs::File::create(&stderr_log)
            .unwrap_or_else(|e| panic!("creating {}: {e}", stderr_log.display()));
        cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name} ({cmd:?}): {e}"));
        Process {
            name: name.to_owned(),
            child,
            stdout_log,
            stderr_log,
        }
    }

    /// A client connection to this session's bus from the test process (shared, lazily made).
    pub fn connection(&self) -> &zbus::Connection {
        self.connection.get_or_init(|| self.new_connection())
    }

    /// A fresh, separate client connection to this session's bus.
    pub fn new_connection(&self) -> zbus::Connection {
        zbus::block_on(zbus::connection::Builder::address(self.bus_address.as_str()).build())
            .unwrap_or_else(|e| panic!("connecting to the private bus {}: {e}", self.bus_address))
    }

    /// The address printed by `dbus-daemon --print-address`.
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// The X display, e.g. `:1`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The session's temporary directory (removed on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir().join("home")
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.dir().join("runtime")
    }

    pub fn config_home(&self) -> PathBuf {
        self.dir().join("home/.config")
    }

    /// The system-wide config folder (`/etc/xdg` outside a test), where a package puts its
    /// autostart entry.
    pub fn config_dirs(&self) -> PathBuf {
        self.dir().join("etc/xdg")
    }

    pub fn data_home(&self) -> PathBuf {
        self.dir().join("home/.local/share")
    }

    pub fn state_home(&self) -> PathBuf {
        self.dir().join("home/.local/state")
    }

    pub fn cache_home(&self) -> PathBuf {
        self.dir().join("home/.cache")
    }

    /// stderr of `dbus-daemon` and `Xvfb` so far, for failure messages.
    pub fn daemon_logs(&self) -> String {
        format!(
            "--- {} stderr ---\n{}\n--- {} stderr ---\n{}",
            self.dbus.name,
            read_log(&self.dbus.stderr_log),
            self.xvfb.name,
            read_log(&self.xvfb.stderr_log)
        )
    }
}

/// A program running in a [`Session`]; stopped (by pid: SIGTERM, then SIGKILL after a grace
/// period) and reaped when dropped.
pub struct Process {
    name: String,
    child: Child,
    stdout_log: PathBuf,
    stderr_log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        terminate(&mut self.child, SHUTDOWN_GRACE);
    }
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` if the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .try_wait()
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.name))
    }

    /// Waits (polling) until the process exits or `timeout` passes.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, WaitError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(WaitError::new(format!(
                    "{} (pid {}) still running after {timeout:?}\n{}",
                    self.name,
                    self.pid(),
                    self.logs()
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit (e.g. to test a clean
    /// shutdown); SIGKILLs it if it does not. Returns the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        terminate(&mut self.child, timeout);
        self.child
            .wait()
            .unwrap_or_else(|e| panic!("reaping {}: {e}", self.name))
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child
            .wait()
            .unwrap_or_else(|e| panic!("reaping {}: {e}", self.name))
    }

    pub fn stdout(&self) -> String {
        read_log(&self.stdout_log)
    }

    pub fn stderr(&self) -> String {
        read_log(&self.stderr_log)
    }

    /// stdout and stderr so far, labelled, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "--- {} stdout ---\n{}\n--- {} stderr ---\n{}",
            self.name,
            self.stdout(),
            self.name,
            self.stderr()
        )
    }
}
