//! The `calltray` command: runs the agent, or one of its helper commands.

// On Windows, a GUI program: started at login or from the Start menu it opens no console
// window beside the tray icon. Commands typed in a terminal still print there
// (`platform::attach_console`).
#![cfg_attr(windows, windows_subsystem = "windows")]

use anyhow::Context;
use calltray::agent::{self, AgentMsg, Outputs};
use calltray::config::Config;
use calltray::event::Direction;
use calltray::language::{self, Language};
use calltray::{history, listener, notifier, paths, simulate, tr, tray, view, watch};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Writes to standard output; a reader that has gone away (`calltray history | head`) ends
/// the command quietly, as it does for any command-line tool, instead of as an error.
fn write_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        say(format!("calltray: {e}"));
        std::process::exit(1);
    }
}

/// Standard output that a closed pipe does not stop: what cannot be written is dropped.
struct OutputMayClose<W>(W);

impl<W: std::io::Write> std::io::Write for OutputMayClose<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

macro_rules! out {
    ($($arg:tt)*) => { write_out(&format!($($arg)*)) };
}

macro_rules! outln {
    () => { write_out("\n") };
    ($($arg:tt)*) => { write_out(&format!("{}\n", format!($($arg)*))) };
}

/// Desk notifications for your Ubity phone calls: toasts and a tray icon.
#[derive(Parser)]
#[command(name = "calltray", version, about)]
struct Cli {
    /// Config file to use instead of the default one (see `calltray paths`).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Run without a tray icon or display; toasts are still sent when a notification service exists.
    #[arg(long)]
    headless: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check the config file and print the callback URLs to give Ubity Support.
    Check,
    /// Send the callbacks of a made-up call to the running agent, as Ubity would.
    Simulate(SimulateArgs),
    /// Show where calltray keeps its config, data and logs.
    Paths,
    /// List the calls calltray has recorded, newest first.
    History(HistoryArgs),
    /// Manage the secret part of the callback URLs.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Start calltray when you log in, or stop doing so.
    #[command(subcommand)]
    Autostart(AutostartCommand),
    /// Print a shell completion script (for packages, or `source <(calltray completions bash)`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print calltray's manual page (roff), as packages install it.
    Man,
    /// Say whose number this is, and if nobody's, why: how it was read, what was searched.
    Lookup {
        /// The number as a callback or a person would write it, such as "514 555-1212".
        number: String,
    },
}

#[derive(Subcommand)]
enum AutostartCommand {
    /// Start calltray at login (with this config, when --config is given).
    Enable,
    /// Stop starting calltray at login.
    Disable,
    /// Say whether calltray starts at login.
    Status,
}

#[derive(Subcommand)]
enum SecretCommand {
    /// Put a new random secret in the config and print the new callback URLs.
    New,
}

#[derive(Args)]
struct SimulateArgs {
    /// The call's direction, from your extension's point of view.
    direction: Way,
    /// The other party's number, such as 5145551212.
    number: String,
    /// Your extension on this call (default: the first one in the config).
    #[arg(long, value_name = "EXT")]
    ext: Option<String>,
    /// Seconds of ringing before the call is answered.
    #[arg(long, value_name = "S", default_value_t = 2.0)]
    answer_after: f64,
    /// Seconds of conversation before hanging up (with --missed: more seconds of ringing).
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    hangup_after: f64,
    /// Nobody answers: the call ends unanswered.
    #[arg(long)]
    missed: bool,
    /// Send POST requests instead of GET.
    #[arg(long)]
    post: bool,
}

#[derive(Args)]
struct HistoryArgs {
    /// Only missed calls.
    #[arg(long)]
    missed: bool,
    /// Only calls from this day on (YYYY-MM-DD, local time).
    #[arg(long, value_name = "DATE")]
    since: Option<chrono::NaiveDate>,
    /// At most this many calls.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
    /// JSON, one object per call.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV with a header line.
    #[arg(long)]
    csv: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Way {
    Incoming,
    Outgoing,
}

fn main() -> ExitCode {
    calltray::platform::attach_console();
    std::panic::set_hook(Box::new(|info| {
        // Not "stopped": the listener's threads are restarted by their supervisor.
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        say(tr!(
            language::current(),
            "internal-error",
            thread = name,
            detail = info.to_string()
        ));
    }));
    // The config, read once and leniently before the command line is parsed: it says the
    // language of `--help` and the log level.
    let early = early_config_text();
    let lang = early
        .as_deref()
        .and_then(calltray::config::language_hint)
        .unwrap_or_else(Language::from_system);
    language::set_current(lang);
    let matches = localized_cli(lang).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging(
        cli.command.is_none(),
        early.as_deref().and_then(calltray::config::log_level_hint),
    );
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            say(tr!(
                language::current(),
                "error-prefix",
                error = format!("{e:#}")
            ));
            ExitCode::from(1)
        }
    }
}

/// The command line as the completions and the manual page describe it: in English, and, as
/// the running command, with no `help` subcommand ([`localized_cli`] has none; `--help` is it).
fn plain_cli() -> clap::Command {
    fn plain(cmd: clap::Command) -> clap::Command {
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        names
            .iter()
            .fold(cmd.disable_help_subcommand(true), |cmd, name| {
                cmd.mut_subcommand(name.as_str(), plain)
            })
    }
    plain(Cli::command())
}

/// One manual page for the whole command: clap_mangen's sections for `calltray` itself, then
/// each command with its synopsis and options under COMMANDS (clap_mangen would point at a
/// page per command, which would be eight more files to ship and keep), then the files and
/// the environment calltray reads.
fn manual_page() -> std::io::Result<Vec<u8>> {
    fn commands(cmd: &clap::Command, path: &str, out: &mut Vec<u8>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands() {
            let path = format!("{path} {}", sub.get_name());
            if sub.has_subcommands() {
                commands(sub, &path, out)?;
                continue;
            }
            out.extend_from_slice(format!(".SS \"{path}\"\n").as_bytes());
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            // Our own words are plain sentences; only a leading dot or quote means roff.
            out.extend_from_slice(format!("\\&{}\n.PP\n", about.replace('\\', "\\e")).as_bytes());
            let man = clap_mangen::Man::new(sub.clone().bin_name(&path));
            let mut part = Vec::new();
            man.render_synopsis_section(&mut part)?;
            man.render_options_section(&mut part)?;
            // Their own headings would each start a section: the command's heading says it.
            for line in String::from_utf8_lossy(&part).lines() {
                if !line.starts_with(".SH ") {
                    out.extend_from_slice(line.as_bytes());
                    out.push(b'\n');
                }
            }
        }
        Ok(())
    }
    let mut cmd = plain_cli();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    page.extend_from_slice(b".SH COMMANDS\n");
    commands(&cmd, "calltray", &mut page)?;
    page.extend_from_slice(
        concat!(
            ".SH FILES\n",
            ".TP\n~/.config/calltray/config.toml\n",
            "The configuration, written with comments on first run (\\fBcalltray paths\\fR shows where).\n",
            ".TP\n~/.local/share/calltray/\n",
            "The call history (history.sqlite3) and Ubity's extension names (extension\\-names.json).\n",
            ".TP\n~/.local/state/calltray/calltray.log\n",
            "The log, rotated at 1 MiB, three older files kept.\n",
            ".TP\n~/.config/autostart/io.github.calltray.Calltray.desktop\n",
            "Written by \\fBcalltray autostart\\fR; the package's own is in /etc/xdg/autostart/.\n",
            ".SH ENVIRONMENT\n",
            ".TP\nRUST_LOG\n",
            "How much to log (error, warn, info, debug, trace); wins over the config's log_level.\n",
            ".TP\nLANG\n",
            "A French locale (fr_CA.UTF\\-8) gives French when the config says language = \"auto\".\n",
            ".TP\nXDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR\n",
            "Where the files above and the one\\-instance lock live.\n",
            ".SH SEE ALSO\n",
            "The README, in /usr/share/doc/calltray/README.md.\n",
        )
        .as_bytes(),
    );
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// The command line with its help in `lang`: every description comes from the Fluent files
/// (`cli-<command>-<argument>`), and the headings clap writes are replaced by translated ones.
fn localized_cli(lang: Language) -> clap::Command {
    fn words(cmd: clap::Command, prefix: &str, lang: Language) -> clap::Command {
        let template = format!(
            "{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
            tr!(lang, "cli-usage")
        );
        let mut cmd = cmd
            .help_template(template)
            .subcommand_help_heading(tr!(lang, "cli-commands"))
            .disable_help_subcommand(true)
            .disable_help_flag(true);
        let ids: Vec<(String, bool, bool)> = cmd
            .get_arguments()
            .filter(|a| a.get_id() != "help")
            .map(|a| {
                let takes_value = a.get_action().takes_values();
                (a.get_id().to_string(), a.is_positional(), takes_value)
            })
            .collect();
        for (id, positional, takes_value) in ids {
            let key = if prefix.is_empty() {
                format!("cli-{id}")
            } else {
                format!("cli-{prefix}-{id}")
            };
            let heading = lang.text(
                if positional {
                    "cli-arguments"
                } else {
                    "cli-options"
                },
                &[],
            );
            // clap's own notes ("[default: 50]") would stay in English: the texts say it.
            cmd = cmd.mut_arg(id.as_str(), |a| {
                let a = a.help(lang.text(&key, &[])).help_heading(heading);
                if takes_value {
                    a.hide_default_value(true).hide_possible_values(true)
                } else {
                    a
                }
            });
        }
        cmd = cmd.arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help(tr!(lang, "cli-help"))
                .help_heading(tr!(lang, "cli-options")),
        );
        let subs: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        for name in subs {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}-{name}")
            };
            cmd = cmd.mut_subcommand(name.as_str(), |sub| {
                words(
                    sub.about(lang.text(&format!("cli-{path}"), &[])),
                    &path,
                    lang,
                )
            });
        }
        cmd
    }
    let cmd = Cli::command()
        .about(tr!(lang, "cli-about"))
        .disable_version_flag(true);
    words(cmd, "", lang).arg(
        clap::Arg::new("version")
            .short('V')
            .long("version")
            .action(clap::ArgAction::Version)
            .help(tr!(lang, "cli-version"))
            .help_heading(tr!(lang, "cli-options")),
    )
}

/// Logs go to standard error, and for the agent also to a file in the state folder
/// (`calltray paths` shows it), rotated by size (see [`calltray::logfile`]), so a desk that
/// never looks at a terminal still has a record, and a bounded one. The level is `RUST_LOG`
/// when set, else the config's `log_level`.
fn init_logging(agent: bool, config_level: Option<String>) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = config_level.unwrap_or_else(|| "info".to_string());
    // A RUST_LOG that is no filter (empty, or a word such as "warning") would silence every
    // line: the config's level applies instead, and the user is told.
    let from_env = std::env::var("RUST_LOG").ok().and_then(|v| {
        let filter = calltray::logfile::rust_log_filter(&v)
            .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok());
        if filter.is_none() && !v.trim().is_empty() {
            eprintln!(
                "calltray: RUST_LOG={v:?} is not a log level (error, warn, info, debug, trace); using {level:?}"
            );
        }
        filter
    });
    let filter = from_env.unwrap_or_else(|| tracing_subscriber::EnvFilter::new(&level));
    let stderr = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let file = agent
        .then(paths::log_file)
        .flatten()
        .and_then(|path| calltray::logfile::LogFile::open(&path))
        .map(|writer| {
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(writer))
        });
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .init();
}

/// The text of the config file named on the command line (or of the default one), read
/// before the command line is parsed; `None` when there is none to read.
fn early_config_text() -> Option<String> {
    let mut args = std::env::args_os().skip(1);
    let mut path = None;
    while let Some(arg) = args.next() {
        if arg == "--config" {
            path = args.next().map(PathBuf::from);
        } else if let Some(p) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            path = Some(PathBuf::from(p));
        }
    }
    let bytes = path
        .or_else(paths::default_config)
        .and_then(|p| calltray::config::read_capped(&p).ok())?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn config_path(cli: &Cli) -> anyhow::Result<PathBuf> {
    match &cli.config {
        Some(p) => Ok(std::path::absolute(p).unwrap_or_else(|_| p.clone())),
        None => paths::default_config().with_context(|| tr!(language::current(), "err-no-home")),
    }
}

fn load(path: &std::path::Path) -> anyhow::Result<Config> {
    let (config, created) = Config::load_or_create(path)?;
    if created {
        say(tr!(
            config.language,
            "wrote-default-config",
            path = path.display().to_string()
        ));
    }
    Ok(config)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let path = config_path(&cli)?;
    // Every message from here on is in the config's language, even one about its mistakes
    // (set by `main` from the same file, before the command line was read).
    let lang = language::current();
    match &cli.command {
        Some(Command::Paths) => {
            let show = |p: Option<PathBuf>| {
                p.map(|p| p.display().to_string())
                    .unwrap_or_else(|| tr!(lang, "paths-no-home"))
            };
            let rows = [
                (tr!(lang, "paths-config"), path.display().to_string()),
                (tr!(lang, "paths-data"), show(paths::data_dir())),
                (
                    tr!(lang, "paths-logs"),
                    format!(
                        "{} ({})",
                        show(paths::log_file()),
                        tr!(lang, "paths-logs-note")
                    ),
                ),
            ];
            let width = rows
                .iter()
                .map(|(k, _)| k.chars().count())
                .max()
                .unwrap_or(0)
                + 1;
            for (key, value) in rows {
                outln!("{:<width$} {value}", format!("{key}:"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Secret(SecretCommand::New)) => {
            // The config may be invalid for want of a secret, so it is only checked after.
            if !path.exists() {
                load(&path)?;
            }
            calltray::secret::write_new(&path)?;
            let config = Config::load(&path)?;
            outln!(
                "{}",
                tr!(lang, "secret-written", path = path.display().to_string())
            );
            outln!("{}", tr!(lang, "secret-switch"));
            print_callback_urls(&config);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::History(args)) => {
            print_history(args, &path, lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut plain_cli(), "calltray", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let page = manual_page().with_context(|| tr!(language::current(), "err-man-page"))?;
            out!("{}", String::from_utf8_lossy(&page));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Autostart(what)) => {
            use calltray::platform;
            let shown = platform::autostart_location()
                .with_context(|| tr!(language::current(), "err-autostart-folder"))?;
            match what {
                AutostartCommand::Enable => {
                    let program = std::env::current_exe()
                        .with_context(|| tr!(language::current(), "err-program-path"))?;
                    platform::enable_autostart(
                        &program,
                        cli.config.as_ref().map(|_| path.as_path()),
                    )
                    .with_context(|| tr!(language::current(), "err-write", path = &shown))?;
                    outln!("{}", tr!(lang, "autostart-enabled", path = &shown));
                }
                AutostartCommand::Disable => {
                    let done = platform::disable_autostart()
                        .with_context(|| tr!(language::current(), "err-change", path = &shown))?;
                    outln!(
                        "{}",
                        match done {
                            platform::Disabled::Removed => {
                                tr!(lang, "autostart-disabled", path = &shown)
                            }
                            platform::Disabled::Hidden(system) =>
                                tr!(lang, "autostart-hidden", path = &shown, system = &system),
                            platform::Disabled::WasOff => tr!(lang, "autostart-was-off"),
                        }
                    );
                }
                AutostartCommand::Status => outln!(
                    "{}",
                    match platform::autostart_source() {
                        Some(source) => tr!(lang, "autostart-on", path = &source),
                        None => tr!(lang, "autostart-off"),
                    }
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Lookup { number }) => {
            let config = Config::load(&path)?;
            let names = calltray::names::load(&config, paths::extension_names().as_deref());
            out!(
                "{}",
                calltray::names::lookup_report(
                    number,
                    &names,
                    config.ubity.is_some(),
                    config.language
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Check) => {
            let config = Config::load(&path)?;
            let lang = config.language;
            outln!(
                "{}",
                tr!(lang, "check-ok", path = path.display().to_string())
            );
            outln!(
                "{}",
                tr!(
                    lang,
                    "check-extensions",
                    extensions = config.extensions.join(", ")
                )
            );
            outln!(
                "{}",
                tr!(
                    lang,
                    "check-listening",
                    address = config.listen.address.to_string()
                )
            );
            print_callback_urls(&config);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Simulate(args)) => {
            let config = Config::load(&path)?;
            let plan = simulate::Plan {
                direction: match args.direction {
                    Way::Incoming => Direction::Incoming,
                    Way::Outgoing => Direction::Outgoing,
                },
                number: args.number.clone(),
                extension: args.ext.clone(),
                answer_after: args.answer_after,
                hangup_after: args.hangup_after,
                missed: args.missed,
                post: args.post,
            };
            // A reader that went away (`| head -1`) must not leave the made-up call ringing:
            // the rest of its callbacks are sent, their lines dropped.
            simulate::run(&config, &plan, &mut OutputMayClose(std::io::stdout()))?;
            Ok(ExitCode::SUCCESS)
        }
        None => run_agent(&path, cli.headless),
    }
}

/// The three URLs to give Ubity Support, as `check` and `secret new` show them.
/// Opens a URL in the default browser; a launcher that fails is logged, never waited for.
fn open_url(url: String) {
    if let Err(e) = open::that_detached(&url) {
        // The URL holds the caller's number: not at the default level.
        tracing::warn!("could not open the CRM page: {e}");
        tracing::debug!(%url, "CRM page not opened");
    }
}

fn print_history(
    args: &HistoryArgs,
    config: &std::path::Path,
    lang: Language,
) -> anyhow::Result<()> {
    use chrono::TimeZone;
    let path = paths::history().with_context(|| tr!(language::current(), "err-history-home"))?;
    if !path.exists() {
        outln!(
            "{}",
            tr!(lang, "history-empty", path = path.display().to_string())
        );
        return Ok(());
    }
    let history = history::History::open(&path)?;
    let since = args
        .since
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .and_then(|t| chrono::Local.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&chrono::Utc));
    let rows = history
        .list(&history::Filter {
            missed_only: args.missed,
            since,
            limit: args.limit,
        })
        .map_err(history::HistoryError::from)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
    } else if args.csv {
        let mut csv = csv::Writer::from_writer(Vec::new());
        for row in &rows {
            let cell = |text: &str| view::spreadsheet_cell(text);
            let safe = history::CallRow {
                callid: cell(&row.callid),
                extension: cell(&row.extension),
                party: cell(&row.party),
                name: row.name.as_deref().map(cell),
                ..row.clone()
            };
            csv.serialize(&safe)?;
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
        out!("{}", String::from_utf8_lossy(&bytes));
    } else {
        // Names known now fill in calls recorded before their contact was.
        let names = Config::load(config)
            .map(|c| calltray::names::load(&c, paths::extension_names().as_deref()))
            .unwrap_or_default();
        out!(
            "{}",
            view::history_table(&rows, &view::local(), lang, &names)
        );
    }
    Ok(())
}

fn print_callback_urls(config: &Config) {
    let local = simulate::local_base(config);
    outln!();
    outln!("{}", tr!(config.language, "callback-urls", base = &local));
    let base = format!("{local}{}", config.listen.prefix());
    outln!("  CallInitiated  {base}{}", config.listen.initiated_path);
    outln!("  CallAnswered   {base}{}", config.listen.answered_path);
    outln!("  CallEnded      {base}{}", config.listen.ended_path);
}

fn run_agent(path: &std::path::Path, headless: bool) -> anyhow::Result<ExitCode> {
    let config = Arc::new(load(path)?);
    language::set_current(config.language);
    // One calltray per user: a second start points at the first and leaves it be.
    let instance =
        match calltray::instance::lock_path().map(|p| calltray::instance::Instance::acquire(&p)) {
            Some(Ok(instance)) => Some(instance),
            Some(Err(calltray::instance::Refused::Running(address))) => {
                let lang = config.language;
                say(match address {
                    Some(address) => tr!(lang, "already-running-at", address = address),
                    None => tr!(lang, "already-running"),
                });
                return Ok(ExitCode::SUCCESS);
            }
            Some(Err(calltray::instance::Refused::Unavailable(e))) => {
                tracing::warn!("cannot make sure only one calltray runs: {e}");
                None
            }
            None => None,
        };
    // Before any toast: macOS must know which app bundle the toasts come from.
    calltray::platform::set_notification_identity();
    let no_tray = if headless {
        Some("--headless was given".to_string())
    } else {
        tray::unavailable()
    };
    if let (Some(reason), false) = (&no_tray, headless) {
        tracing::warn!("running without a tray icon: {reason}. Toasts still work.");
    }

    let history_path =
        paths::history().with_context(|| tr!(language::current(), "err-history-home"))?;
    let history = history::History::open(&history_path)?;
    let seen_at = history.seen_at().map_err(history::HistoryError::from)?;
    let replay = agent::Replay {
        events: history.replay_set(view::RECENT_IN_MENU, chrono::Utc::now())?,
        seen_at,
        unseen_missed: history
            .unseen_missed(seen_at, chrono::Utc::now())
            .map_err(history::HistoryError::from)?,
    };
    let (recorder, history) = history::spawn(history, config.history)
        .with_context(|| tr!(language::current(), "err-thread-history"))?;

    let (tx, rx) = std::sync::mpsc::sync_channel::<AgentMsg>(agent::QUEUE_DEPTH);
    let listener = Arc::new(listener::start(Arc::clone(&config), tx.clone(), recorder)?);
    let listening = listener.address();
    tracing::info!("Listening on http://{listening}");
    // Held until the process ends; the config watcher notes a new address in it.
    let instance = Arc::new(std::sync::Mutex::new(instance));
    let lock = Arc::clone(&instance);
    let note_address = move |address| {
        let mut held = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(Err(e)) = held.as_mut().map(|i| i.set_address(address)) {
            tracing::debug!("cannot note the address in the instance lock: {e}");
        }
    };
    note_address(listening);
    let shown_prefix = if config.listen.secret.is_some() {
        "/<secret>"
    } else {
        ""
    };
    tracing::info!(
        "callback paths: {shown_prefix}{} {shown_prefix}{} {shown_prefix}{}; watching {} extension(s) (`calltray check` lists them)",
        config.listen.initiated_path,
        config.listen.answered_path,
        config.listen.ended_path,
        config.extensions.len()
    );
    let to_agent = tx.clone();
    let buttons = calltray::platform::listen_for_toast_buttons(move |call, action| {
        let _ = to_agent.send(AgentMsg::ToastAction(call, action));
    })
    .map_err(|e| tracing::warn!("toast buttons will not work: {e}"))
    .ok()
    .flatten();
    let toasts = notifier::spawn(buttons)
        .with_context(|| tr!(language::current(), "err-thread-notifier"))?;
    let extension_cache = paths::extension_names();
    // Calls are announced from the start with Ubity's cached names; the contacts files, which
    // may be large, are read on a thread of their own and handed over when done.
    let mut names = calltray::names::Names::new(config.region);
    if let Some(cache) = &extension_cache {
        names.set_extensions(calltray::extensions::load_cache(cache));
    }
    if !config.contacts.is_empty() {
        let (for_loader, to_agent) = (Arc::clone(&config), tx.clone());
        let started = std::thread::Builder::new()
            .name("contacts".into())
            .spawn(move || {
                let read = calltray::names::load(&for_loader, None);
                let count = read.contact_count();
                let _ = to_agent.send(AgentMsg::Names(Box::new(read)));
                // After the hand-over, as for Ubity's names: a reader of this line knows
                // the names are queued ahead of any later callback.
                tracing::info!("contacts read: {count} numbers");
            });
        if let Err(e) = started {
            tracing::warn!("contacts not read: {e}");
        }
    }
    let extension_names = match &extension_cache {
        Some(cache) => {
            let to_agent = tx.clone();
            calltray::extensions::spawn(config.ubity.clone(), cache.clone(), move |fresh| {
                let _ = to_agent.send(AgentMsg::ExtensionNames(fresh));
            })
            .map_err(|e| tracing::warn!("extension names will not be refreshed: {e}"))
            .ok()
        }
        None => None,
    };
    // Without the watcher calltray still works; edits then need a restart.
    let _watcher = watch::spawn(
        path.to_path_buf(),
        Arc::clone(&config),
        Arc::clone(&listener),
        tx.clone(),
        note_address,
    )
    .map_err(|e| {
        tracing::warn!("config edits will need a restart: cannot watch the config folder: {e}")
    })
    .ok();
    let on_signal = tx.clone();
    ctrlc::set_handler(move || {
        let _ = on_signal.send(AgentMsg::Quit);
    })
    .with_context(|| tr!(language::current(), "err-signals"))?;

    if no_tray.is_some() {
        let outputs = Outputs {
            toasts,
            history: Some(history),
            open_url: Some(Box::new(open_url)),
            tray: None,
            extension_names,
            copy: None,
        };
        agent::run(config, names, listening, replay, rx, outputs);
        listener.close();
        return Ok(ExitCode::SUCCESS);
    }
    let tray = tray::Tray::new();
    let outputs = Outputs {
        toasts,
        history: Some(history),
        open_url: Some(Box::new(open_url)),
        tray: Some(tray.view_sink()),
        extension_names,
        copy: Some(tray.copy_sink()),
    };
    let core_config = Arc::clone(&config);
    let core_listener = Arc::clone(&listener);
    let exit_tray = tray.exit_sink();
    std::thread::Builder::new()
        .name("agent".into())
        .spawn(move || {
            agent::run(core_config, names, listening, replay, rx, outputs);
            core_listener.close();
            exit_tray();
        })
        .with_context(|| tr!(language::current(), "err-thread-agent"))?;
    tray.run(tx, path.to_path_buf())
}

/// One message to standard error, in one write: unbuffered, `eprintln!` writes it in pieces,
/// which a reader (a test, a log collector) can catch half-written.
fn say(message: String) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("{message}\n").as_bytes());
}
