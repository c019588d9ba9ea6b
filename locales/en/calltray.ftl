# calltray's words in English. Each message id has its twin in ../fr/calltray.ftl.
# Arguments come in already cleaned (and escaped where the text is toast markup).

## Numbers

unknown-number = Unknown number
extension = ext { $number }

## Toasts about calls

toast-incoming = Incoming call
toast-calling = Calling…
toast-answered = Call answered
toast-missed = Missed call
toast-no-answer = No answer
toast-ended = Call ended
toast-ended-after = Call ended · { $duration }
# Second line of a toast: the user's extension on the call.
toast-to-extension = to { $extension }
toast-from-extension = from { $extension }

## Toasts about calltray

away-summary =
    { $count ->
        [one] 1 missed call while away
       *[other] { $count } missed calls while away
    }
away-body =
    { $count ->
        [one] It is in the tray menu, under Recent calls.
       *[other] They are in the tray menu, under Recent calls.
    }
flood-summary =
    { $count ->
        [one] 1 more call
       *[other] { $count } more calls
    }
flood-body = Too many calls at once to show each one; the tray menu follows them.
settings-applied = calltray settings applied
settings-applied-not-address = calltray settings applied, but not the address
settings-not-applied = calltray settings not applied
settings-previous-stay = The previous settings stay in use until the file is fixed.
settings-listening = Listening on { $address } for { $count ->
        [one] extension
       *[other] extensions
    } { $extensions }.
settings-still-listening = { $error }. Still listening on { $address }.
call-back-calling = Calling { $party }
call-back-rings-first = Your phone (ext { $extension }) rings first; pick it up to be connected.
call-back-failed = Could not call { $party }
call-back-bad-key = Ubity refused the API key; check [ubity] api_key in the config
call-back-refused = Ubity did not place the call: { $why }
call-back-unreachable = Ubity’s API did not answer; is the network up?
call-back-unreadable = Ubity’s API gave an answer calltray cannot read

## The tray

status-ringing = Ringing: { $party }{ $more }
status-calling = Calling: { $party }{ $more }
status-in-call = In call with { $party } · { $duration }{ $more }
status-more = { " " }(+{ $count } more)
status-down = Not receiving calls: restarting the listener
status-last = Last call: { $party } · { $outcome }
status-listening = Listening on { $address }
tooltip-up =
    calltray · listening on { $address }
    { $status }
tooltip-down = calltray · not receiving calls: { $why }
missed-calls =
    { $count ->
        [one] 1 missed call
       *[other] { $count } missed calls
    }
outcome-missed = missed
outcome-no-answer = no answer
outcome-ended = ended
recent-from = { $time } · from { $party } · { $outcome }
recent-to = { $time } · to { $party } · { $outcome }
menu-recent = Recent calls
menu-no-calls = No calls yet
menu-mark-seen = Mark { $missed } as seen
menu-do-not-disturb = Do not disturb
menu-open-config = Open config file
menu-quit = Quit
menu-copy-number = Copy number
menu-no-number = No number to copy
menu-call-back = Call back

## calltray history

history-when = when
history-way = way
history-extension = ext
history-number = number
history-outcome = outcome
history-in = in
history-out = out
history-ringing = ringing
history-in-call = in call
history-answered = answered
history-none = (no calls)
history-empty = No calls recorded yet ({ $path } does not exist).

## Commands

wrote-default-config = calltray: wrote a default config to { $path }. Put your own extension in `extensions` there.
paths-config = config
paths-data = data
paths-logs = logs
paths-logs-note = the agent writes there and to standard error; RUST_LOG or log_level sets the level
paths-no-home = (no home folder)
check-ok = { $path }: OK
check-extensions = extensions: { $extensions }
check-listening = listening on: { $address }
callback-urls =
    Callback URLs for Ubity Support (put your tunnel’s public address in place of
    { $base } if Ubity reaches this computer through one):
secret-written = A new secret is in { $path }.
secret-switch = A running calltray switches to it at once; the old URLs stop working.
error-prefix = calltray: { $error }
internal-error = calltray hit an internal error in its { $thread } thread ({ $detail }). Please report it with the lines above.

## Config errors

# "config.toml, line 3, key `ring_timeout`: 2 is out of range…"
config-error = { $place }: { $message }
config-line = line { $line }
config-key = key `{ $key }`
# In a toast, the line and key come first (the end of a long text may be cut off).
config-error-line-first =
    { $place }: { $message }
    in { $file }
config-error-no-place =
    { $message }
    in { $file }
config-line-capital = Line { $line }
config-key-capital = Key `{ $key }`

## calltray lookup

lookup-phone = “{ $raw }” reads as { $e164 }, shown as { $display } (home region { $region }).
lookup-extension = “{ $raw }” reads as extension { $number }: names come from Ubity’s extensions.
lookup-text = “{ $raw }” is not a phone number calltray can read; it is shown as received and matches no contact.
lookup-empty = No number given: such a call shows “Unknown number”.
lookup-found = Name: { $name } (from { $source }).
lookup-not-found = No name matches.
lookup-searched = Searched:
lookup-source = { $label }: { $count ->
        [one] 1 number
       *[other] { $count } numbers
    }
lookup-source-problem = { $label }: not read ({ $problem })
lookup-extensions = Ubity extensions: { $count ->
        [one] 1 name
       *[other] { $count } names
    }{ $keyed ->
        [yes] {""}
       *[no] { " " }(set [ubity] api_key to fetch them)
    }
lookup-no-contacts = No contacts files: add them to `contacts` in the config.
history-name = name
action-open-crm = Open in CRM

## Config error details

# What is wrong with a value, after "config.toml, line 3, key `x`: ". Quoted values come
# in already quoted or escaped; write `code` as the user types it in the file.
config-extension-problem = { $problem }; write each extension as Ubity does, such as "100"
config-extension-empty = "{ $extension }" is empty
config-extension-too-long = "{ $extension }" is too long (at most { $max } characters)
config-extension-bad-characters = "{ $extension }" has characters no extension can have
config-extensions-none = list at least one of your extensions, such as ["100"]
config-ring-timeout-range = { $value } is out of range; give seconds from 5 to 3600
config-keep-days-range = { $value } is out of range; give days from 1 to 3650
config-keep-calls-range = { $value } is out of range; give a number of calls from 1 to 10000000
config-max-new-toasts-range = { $value } is out of range; give a number of calls from 1 to 10000 (new calls that get their own toast in any 5 seconds)
config-api-key-characters = the API key has spaces or characters that are not plain ASCII; paste it again
config-api-url = give an http:// or https:// address, such as "https://api.ubity.com"
config-listen-address = `{ $value }` is not an IP address and port; write for example "127.0.0.1:8765" or "0.0.0.0:8765"
config-secret-characters = use only letters, digits, '-' and '_' (it becomes part of a URL)
config-secret-short = too short to be unguessable; use at least { $min } random characters, or run `calltray secret new`
config-secret-needed = { $address } can be reached from other computers, so the listener needs a [listen] secret; run `calltray secret new` to create one, or listen on 127.0.0.1 behind a tunnel
config-path-invalid = `{ $value }` is not a URL path; write it like "/init" (letters, digits, '/', '-', '_', '.')
config-path-health = /health is calltray's own status page; choose another path
config-path-taken = `{ $path }` is already used by `{ $other }`; each event needs its own path
config-address-range = `{ $value }` is not an address range; write for example "203.0.113.0/24" or "2001:db8::/32"
config-language = `{ $value }` is not a language calltray speaks; write "en", "fr" or "auto" (the desktop's language)
config-region = `{ $value }` is not a country code; write the two letters of your country, such as "CA" or "FR"
config-contacts-file = "{ $value }" is not a contacts file calltray reads; name .csv or .vcf files
# The file itself. { $error } is the system's own words, in the system's language.
config-file-missing = no config file here yet; run `calltray` once to create the default one, or name another with --config
config-file-not-utf8 = the file is not UTF-8 text
config-file-unreadable = cannot read: { $error }
config-folder-not-created = cannot create the config folder: { $error }
config-default-not-written = cannot write the default config: { $error }
# [quiet_hours]: { $entry } is the entry as written, in quotes.
config-quiet-entry = { $entry }: { $problem }
config-quiet-empty = empty entry
config-quiet-hours-shape = write the hours as HH:MM-HH:MM
config-quiet-extra = write days, then one HH:MM-HH:MM range
config-quiet-same-time = the range starts and ends at the same time
config-quiet-day = unknown day { $day }; use mon, tue, wed, thu, fri, sat, sun or daily
config-quiet-time = { $time } is not a time; write HH:MM, from 00:00 to 24:00
# [crm] url. { $placeholder } comes with its braces, { $placeholders } is the list of them.
config-crm-scheme = the URL must start with http:// or https://
config-crm-no-host = the URL has no host name
config-crm-spaces = the URL has spaces or control characters; percent-encode them
config-crm-unopened = a `{"}"}` without its `{"{"}`
config-crm-unclosed = a `{"{"}` without its `{"}"}`
config-crm-placeholder = unknown placeholder { $placeholder }; use { $placeholders }
# What the TOML reader says, put in the user's words. { $found } and { $expected } are the
# config-found-* and config-expected-* messages below.
config-toml-invalid-type = invalid type: { $found }, expected { $expected }
config-toml-invalid-value = invalid value: { $found }, expected { $expected }
config-found-text = text { $value }
config-found-number = the number { $value }
config-found-decimal = the decimal number { $value }
config-found-boolean = { $value }
config-found-list = a list
config-found-table = a table
config-expected-number = a whole number
config-expected-list = a list such as ["100"]
config-expected-boolean = true or false
config-expected-text = text in quotes
config-expected-table = a table: write it as [{ $table }]
config-toml-unknown-field = unknown field `{ $key }`, expected one of { $keys }
config-toml-unknown-variant = unknown variant `{ $value }`, expected one of { $values }
config-toml-missing-field = the key `{ $key }` is missing
config-toml-duplicate-key = this key or table is written twice; keep only one
config-toml-unclosed-table = the table header is not closed; end it with `]`, as in [listen]
config-toml-unclosed-list = the list is not closed; end it with `]`, as in ["100", "101"]
config-toml-missing-comma = a comma is missing between two items of the list
config-toml-unquoted = write a value after `=`, with text in quotes, such as "fr"
config-toml-no-value = a key without a value: expected `=`, as in key = value
config-toml-unclosed-quote = the text has no closing quote ({ $quote })
config-toml-after-value = unexpected text after the value; write one key = value per line
# Any other complaint of the TOML reader, in its own (English) words.
config-toml-other = { $detail }

## Contacts files

lookup-from-line = { $file }, line { $line }
lookup-from-extensions = Ubity extensions
contacts-at-line = line { $line }: { $problem }
contacts-not-csv = not readable as CSV ({ $detail })
contacts-columns = { $missing ->
        [name] no name column
        [phone] no phone column
       *[both] no name column and no phone column
    } in the header row: expected headers such as “Name” (or “First Name” and “Last Name”, “Nom”, “Prénom”, “Company”) and “Phone” (or “Mobile”, “Téléphone”); headers seen: { $seen }
contacts-no-vcard = no vCard in this file: expected a line “BEGIN:VCARD”
contacts-unreadable = cannot read it: { $error }
contacts-too-large = larger than { $mib } MiB
contacts-kind = not a .csv or .vcf file

## calltray --help

cli-about = Desk notifications for your Ubity phone calls: toasts and a tray icon.
cli-usage = Usage:
cli-commands = Commands
cli-options = Options
cli-arguments = Arguments
cli-help = Print help
cli-version = Print version
cli-config = Config file to use instead of the default one (see `calltray paths`)
cli-headless = Run without a tray icon or display; toasts are still sent when a notification service exists
cli-check = Check the config file and print the callback URLs to give Ubity Support
cli-simulate = Send the callbacks of a made-up call to the running agent, as Ubity would
cli-simulate-direction = The call's direction, from your extension's point of view: incoming or outgoing
cli-simulate-number = The other party's number, such as 5145551212
cli-simulate-ext = Your extension on this call (default: the first one in the config)
cli-simulate-answer_after = Seconds of ringing before the call is answered (2 by default)
cli-simulate-hangup_after = Seconds of conversation before hanging up (with --missed: more seconds of ringing; 5 by default)
cli-simulate-missed = Nobody answers: the call ends unanswered
cli-simulate-post = Send POST requests instead of GET
cli-paths = Show where calltray keeps its config, data and logs
cli-history = List the calls calltray has recorded, newest first
cli-history-missed = Only missed calls
cli-history-since = Only calls from this day on (YYYY-MM-DD, local time)
cli-history-limit = At most this many calls (50 by default)
cli-history-json = JSON, one object per call
cli-history-csv = CSV with a header line
cli-secret = Manage the secret part of the callback URLs
cli-secret-new = Put a new random secret in the config and print the new callback URLs
cli-lookup = Say whose number this is, and if nobody's, why: how it was read, what was searched
cli-lookup-number = The number as a callback or a person would write it, such as "514 555-1212"

## Config edits

settings-fixed = calltray settings file fixed
settings-fixed-body = The file is valid again; the settings in use did not change.
config-crm-placeholder-in-host = placeholders may only fill in the path or the query: the site's address must be written out, such as "https://crm.example.com/search?phone={"{"}e164{"}"}"
config-api-url-plain = use https:// (the API key would cross the network in clear); plain http:// is only for a stand-in on this computer, such as "http://127.0.0.1:8080"
config-file-too-large = the file is larger than { $kib } KiB; a calltray config is a few lines

## calltray simulate

simulate-start = Simulating { $direction ->
        [incoming] an incoming
       *[outgoing] an outgoing
    } call (callid { $callid }) to { $base }
simulate-pause = pauses must be between 0 and 3600 seconds, not { $secs }
simulate-no-extension = no extension in the config; pass --ext
simulate-no-number = give the other party's number, such as 5145551212
simulate-unreachable = cannot reach the agent at { $base }: is it running? Start it with `calltray`
simulate-refused = the running agent refused the { $name } callback
simulate-ignored = the running agent ignored the call: extension { $extension } is not in its `extensions`; pass --ext with one of yours, or add it to the config
contacts-not-a-file = not a regular file

## One instance

already-running-at = calltray is already running (listening on { $address }). Quit it first (from its tray icon, or stop its process) to start another.
already-running = calltray is already running. Quit it first (from its tray icon, or stop its process) to start another.
config-log-level = `{ $value }` is not a log level; write "error", "warn", "info", "debug" or "trace"

## calltray autostart

autostart-enabled = calltray will start when you log in ({ $path }).
autostart-disabled = calltray will no longer start when you log in ({ $path } removed).
autostart-hidden = calltray will no longer start when you log in: { $path } now hides the entry installed with the package ({ $system }) for you. `calltray autostart enable` undoes it.
autostart-was-off = calltray was not set to start at login; nothing to do.
autostart-on = calltray starts when you log in ({ $path }).
autostart-off = calltray does not start when you log in; `calltray autostart enable` sets it up.
cli-autostart = Start calltray when you log in, or stop doing so
cli-autostart-enable = Start calltray at login (with this config, when --config is given)
cli-autostart-disable = Stop starting calltray at login
cli-autostart-status = Say whether calltray starts at login
cli-completions = Print a shell completion script (for packages, or `source <(calltray completions bash)`)
cli-completions-shell = bash, zsh, fish, elvish or powershell
cli-man = Print calltray's manual page (roff), as packages install it

## Errors of the commands (the system's own reason follows them, as the system gives it)
err-no-home = cannot find your home folder; pass --config PATH
err-man-page = cannot write the manual page
err-autostart-folder = cannot find your config folder for the autostart entry
err-program-path = cannot tell where this calltray is installed
err-write = cannot write { $path }
err-change = cannot change { $path }
err-history-home = cannot find your home folder for the call history
err-thread-history = cannot start the call history thread
err-thread-notifier = cannot start the notifier thread
err-thread-agent = cannot start the agent thread
err-signals = cannot set up the termination signal handler
