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
paths-logs-note = for now calltray logs to standard error
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

lookup-phone = { $raw } reads as { $e164 }, shown as { $display } (home region { $region }).
lookup-extension = { $raw } reads as extension { $number }: names come from Ubity’s extensions.
lookup-text = { $raw } is not a phone number calltray can read; it is shown as received and matches no contact.
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
