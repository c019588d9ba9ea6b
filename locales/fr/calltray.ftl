# Les mots de calltray en français (Québec). Chaque identifiant a son jumeau dans ../en/calltray.ftl.
# Les arguments arrivent déjà nettoyés (et échappés quand le texte est du balisage de notification).

## Numéros

unknown-number = Numéro inconnu
extension = poste { $number }

## Notifications d’appel

toast-incoming = Appel entrant
toast-calling = Appel sortant…
toast-answered = Appel pris
toast-missed = Appel manqué
toast-no-answer = Pas de réponse
toast-ended = Appel terminé
toast-ended-after = Appel terminé · { $duration }
toast-to-extension = pour le { $extension }
toast-from-extension = du { $extension }

## Notifications de calltray

away-summary =
    { $count ->
        [one] { $count } appel manqué pendant votre absence
       *[other] { $count } appels manqués pendant votre absence
    }
away-body =
    { $count ->
        [one] Il est dans le menu de l’icône, sous Appels récents.
       *[other] Ils sont dans le menu de l’icône, sous Appels récents.
    }
flood-summary =
    { $count ->
        [one] { $count } autre appel
       *[other] { $count } autres appels
    }
flood-body = Trop d’appels à la fois pour les montrer un par un; le menu de l’icône les suit.
settings-applied = Réglages de calltray appliqués
settings-applied-not-address = Réglages de calltray appliqués, sauf l’adresse
settings-not-applied = Réglages de calltray non appliqués
settings-previous-stay = Les réglages précédents restent en vigueur tant que le fichier n’est pas corrigé.
settings-listening = À l’écoute sur { $address } pour { $count ->
        [one] le poste
       *[other] les postes
    } { $extensions }.
settings-still-listening = { $error }. Toujours à l’écoute sur { $address }.
call-back-calling = Appel vers { $party }…
call-back-rings-first = Votre téléphone (poste { $extension }) sonne d’abord; décrochez pour être mis en communication.
call-back-failed = Impossible d’appeler { $party }
call-back-bad-key = Ubity a refusé la clé d’API; vérifiez [ubity] api_key dans la configuration
call-back-refused = Ubity n’a pas lancé l’appel : { $why }
call-back-unreachable = L’API d’Ubity n’a pas répondu; le réseau fonctionne-t-il?
call-back-unreadable = L’API d’Ubity a donné une réponse que calltray ne peut pas lire

## L’icône

status-ringing = Sonnerie : { $party }{ $more }
status-calling = Appel vers { $party }{ $more }
status-in-call = En appel avec { $party } · { $duration }{ $more }
status-more = { " " }(+{ $count } { $count ->
        [one] autre
       *[other] autres
    })
status-down = Appels non reçus : redémarrage de l’écoute
status-last = Dernier appel : { $party } · { $outcome }
status-listening = À l’écoute sur { $address }
tooltip-up =
    calltray · à l’écoute sur { $address }
    { $status }
tooltip-down = calltray · appels non reçus : { $why }
missed-calls =
    { $count ->
        [one] { $count } appel manqué
       *[other] { $count } appels manqués
    }
outcome-missed = manqué
outcome-no-answer = sans réponse
outcome-ended = terminé
recent-from = { $time } · de { $party } · { $outcome }
recent-to = { $time } · vers { $party } · { $outcome }
menu-recent = Appels récents
menu-no-calls = Aucun appel pour l’instant
menu-mark-seen =
    { $count ->
        [one] Marquer { $missed } comme vu
       *[other] Marquer { $missed } comme vus
    }
menu-do-not-disturb = Ne pas déranger
menu-open-config = Ouvrir le fichier de configuration
menu-quit = Quitter
menu-copy-number = Copier le numéro
menu-no-number = Aucun numéro à copier
menu-call-back = Rappeler

## calltray history

history-when = quand
history-way = sens
history-extension = poste
history-number = numéro
history-outcome = résultat
history-in = entrant
history-out = sortant
history-ringing = sonne
history-in-call = en appel
history-answered = répondu
history-none = (aucun appel)
history-empty = Aucun appel enregistré pour l’instant ({ $path } n’existe pas).

## Commandes

wrote-default-config = calltray : configuration par défaut écrite dans { $path }. Inscrivez-y votre poste dans `extensions`.
paths-config = configuration
paths-data = données
paths-logs = journaux
paths-logs-note = l’agent y écrit, et sur la sortie d’erreur; RUST_LOG ou log_level en règle le niveau
paths-no-home = (aucun dossier personnel)
check-ok = { $path } : OK
check-extensions = postes : { $extensions }
check-listening = à l’écoute sur : { $address }
callback-urls =
    Adresses de rappel à donner au soutien d’Ubity (remplacez { $base }
    par l’adresse publique de votre tunnel si Ubity joint cet ordinateur par un tunnel) :
secret-written = Un nouveau secret est dans { $path }.
secret-switch = Un calltray en marche l’adopte aussitôt; les anciennes adresses cessent de fonctionner.
error-prefix = calltray : { $error }
internal-error = calltray a rencontré une erreur interne dans son fil { $thread } ({ $detail }). Veuillez la signaler avec les lignes ci-dessus.

## Erreurs de configuration

config-error = { $place } : { $message }
config-line = ligne { $line }
config-key = clé `{ $key }`
config-error-line-first =
    { $place } : { $message }
    dans { $file }
config-error-no-place =
    { $message }
    dans { $file }
config-line-capital = Ligne { $line }
config-key-capital = Clé `{ $key }`

## calltray lookup

lookup-phone = « { $raw } » se lit { $e164 }, affiché { $display } (région { $region }).
lookup-extension = « { $raw } » se lit comme le poste { $number } : les noms viennent des postes Ubity.
lookup-text = « { $raw } » n’est pas un numéro que calltray sait lire; il est affiché tel quel et ne correspond à aucun contact.
lookup-empty = Aucun numéro : un tel appel s’affiche « Numéro inconnu ».
lookup-found = Nom : { $name } (de { $source }).
lookup-not-found = Aucun nom ne correspond.
lookup-searched = Cherché dans :
lookup-source = { $label } : { $count ->
        [one] { $count } numéro
       *[other] { $count } numéros
    }
lookup-source-problem = { $label } : illisible ({ $problem })
lookup-extensions = Postes Ubity : { $count ->
        [one] { $count } nom
       *[other] { $count } noms
    }{ $keyed ->
        [yes] {""}
       *[no] { " " }(indiquez [ubity] api_key pour les obtenir)
    }
lookup-no-contacts = Aucun fichier de contacts : ajoutez-les à `contacts` dans la configuration.
history-name = nom
action-open-crm = Ouvrir dans le CRM

## Config error details

config-extension-problem = { $problem }; inscrivez chaque poste comme Ubity l’écrit, par exemple "100"
config-extension-empty = "{ $extension }" est vide
config-extension-too-long = "{ $extension }" est trop long ({ $max } caractères au plus)
config-extension-bad-characters = "{ $extension }" contient des caractères qu’aucun poste ne peut avoir
config-extensions-none = inscrivez au moins un de vos postes, par exemple ["100"]
config-ring-timeout-range = { $value } est hors limites; indiquez de 5 à 3600 secondes
config-keep-days-range = { $value } est hors limites; indiquez de 1 à 3650 jours
config-keep-calls-range = { $value } est hors limites; indiquez de 1 à 10 000 000 appels
config-max-new-toasts-range = { $value } est hors limites; indiquez de 1 à 10 000 appels (les nouveaux appels qui ont leur propre notification en 5 secondes)
config-api-key-characters = la clé d’API contient des espaces ou des caractères hors ASCII; collez-la de nouveau
config-api-url = indiquez une adresse http:// ou https://, par exemple "https://api.ubity.com"
config-listen-address = `{ $value }` n’est pas une adresse IP suivie d’un port; écrivez par exemple "127.0.0.1:8765" ou "0.0.0.0:8765"
config-secret-characters = utilisez seulement des lettres, des chiffres, '-' et '_' (le secret fait partie d’une URL)
config-secret-short = trop court pour être impossible à deviner; utilisez au moins { $min } caractères aléatoires, ou lancez `calltray secret new`
config-secret-needed = { $address } est joignable depuis d’autres ordinateurs : l’écoute a donc besoin d’un secret dans [listen]; lancez `calltray secret new` pour en créer un, ou écoutez sur 127.0.0.1 derrière un tunnel
config-path-invalid = `{ $value }` n’est pas un chemin d’URL; écrivez-le comme "/init" (lettres, chiffres, '/', '-', '_', '.')
config-path-health = /health est la page d’état de calltray; choisissez un autre chemin
config-path-taken = `{ $path }` est déjà utilisé par `{ $other }`; chaque événement a besoin de son propre chemin
config-address-range = `{ $value }` n’est pas une plage d’adresses; écrivez par exemple "203.0.113.0/24" ou "2001:db8::/32"
config-language = `{ $value }` n’est pas une langue que calltray parle; écrivez "fr", "en" ou "auto" (la langue du bureau)
config-region = `{ $value }` n’est pas un code de pays; écrivez les deux lettres de votre pays, par exemple "CA" ou "FR"
config-contacts-file = "{ $value }" n’est pas un fichier de contacts que calltray sait lire; indiquez des fichiers .csv ou .vcf
config-file-missing = aucun fichier de configuration ici pour l’instant; lancez `calltray` une fois pour créer celui par défaut, ou indiquez-en un autre avec --config
config-file-not-utf8 = le fichier n’est pas du texte UTF-8
config-file-unreadable = lecture impossible : { $error }
config-folder-not-created = impossible de créer le dossier de configuration : { $error }
config-default-not-written = impossible d’écrire la configuration par défaut : { $error }
config-quiet-entry = { $entry } : { $problem }
config-quiet-empty = entrée vide
config-quiet-hours-shape = écrivez les heures sous la forme HH:MM-HH:MM
config-quiet-extra = écrivez les jours, puis une seule plage HH:MM-HH:MM
config-quiet-same-time = la plage commence et finit à la même heure
config-quiet-day = jour inconnu { $day }; utilisez les abréviations anglaises mon, tue, wed, thu, fri, sat, sun ou daily
config-quiet-time = { $time } n’est pas une heure; écrivez HH:MM, de 00:00 à 24:00
config-crm-scheme = l’URL doit commencer par http:// ou https://
config-crm-no-host = l’URL n’a pas de nom d’hôte
config-crm-spaces = l’URL contient des espaces ou des caractères de contrôle; encodez-les avec %, par exemple %20 pour une espace
config-crm-unopened = un `{"}"}` sans son `{"{"}`
config-crm-unclosed = un `{"{"}` sans son `{"}"}`
config-crm-placeholder = variable inconnue { $placeholder }; utilisez { $placeholders }
config-toml-invalid-type = mauvais type de valeur : { $found }; il faut { $expected }
config-toml-invalid-value = valeur non permise : { $found }; il faut { $expected }
config-found-text = le texte { $value }
config-found-number = le nombre { $value }
config-found-decimal = le nombre décimal { $value }
config-found-boolean = { $value }
config-found-list = une liste
config-found-table = une table
config-expected-number = un nombre entier positif
config-expected-list = une liste, par exemple ["100"]
config-expected-boolean = true ou false
config-expected-text = du texte entre guillemets
config-expected-table = une table, écrite [{ $table }]
config-toml-unknown-field = clé inconnue `{ $key }`; les clés possibles ici sont { $keys }
config-toml-unknown-variant = valeur inconnue `{ $value }`; les valeurs possibles sont { $values }
config-toml-missing-field = la clé `{ $key }` est absente
config-toml-duplicate-key = cette clé ou cette table est écrite deux fois; n’en gardez qu’une
config-toml-unclosed-table = l’en-tête de table n’est pas fermé; terminez-le par `]`, comme dans [listen]
config-toml-unclosed-list = la liste n’est pas fermée; terminez-la par `]`, comme dans ["100", "101"]
config-toml-missing-comma = il manque une virgule entre deux éléments de la liste
config-toml-unquoted = écrivez une valeur après `=`, et le texte entre guillemets, par exemple "fr"
config-toml-no-value = une clé sans valeur; écrivez-la sous la forme clé = valeur
config-toml-unclosed-quote = il manque le guillemet ({ $quote }) qui ferme le texte
config-toml-after-value = texte inattendu après la valeur; écrivez une seule paire clé = valeur par ligne
config-toml-other = l’analyseur TOML signale (en anglais) : { $detail }

## Contacts files

lookup-from-line = { $file }, ligne { $line }
lookup-from-extensions = postes Ubity
contacts-at-line = ligne { $line } : { $problem }
contacts-not-csv = illisible comme CSV ({ $detail })
contacts-columns = { $missing ->
        [name] aucune colonne de nom
        [phone] aucune colonne de téléphone
       *[both] ni colonne de nom ni colonne de téléphone
    } dans la ligne d’en-tête : attendu des en-têtes comme « Nom » (ou « Prénom » et « Nom de famille », « Name », « Entreprise ») et « Téléphone » (ou « Cellulaire », « Phone ») ; en-têtes trouvés : { $seen }
contacts-no-vcard = aucune vCard dans ce fichier : une ligne « BEGIN:VCARD » est attendue
contacts-unreadable = lecture impossible : { $error }
contacts-too-large = plus de { $mib } Mio
contacts-kind = pas un fichier .csv ou .vcf

## calltray --help

cli-about = Vos appels Ubity sur votre bureau : notifications et icône dans la zone de notification.
cli-usage = Utilisation :
cli-commands = Commandes{"\u00A0"}
cli-options = Options{"\u00A0"}
cli-arguments = Arguments{"\u00A0"}
cli-help = Affiche l’aide
cli-version = Affiche la version
cli-config = Fichier de configuration à utiliser au lieu de celui par défaut (voir `calltray paths`)
cli-headless = Fonctionne sans icône ni écran; les notifications sont quand même envoyées si un service de notifications existe
cli-check = Vérifie le fichier de configuration et affiche les adresses de rappel à donner au soutien Ubity
cli-simulate = Envoie à l’agent en marche les rappels d’un appel fictif, comme le ferait Ubity
cli-simulate-direction = Le sens de l’appel, du point de vue de votre poste (incoming : entrant, outgoing : sortant)
cli-simulate-number = Le numéro de l’autre personne, par exemple 5145551212
cli-simulate-ext = Votre poste pour cet appel (par défaut : le premier de la configuration)
cli-simulate-answer_after = Secondes de sonnerie avant la réponse (2 par défaut)
cli-simulate-hangup_after = Secondes de conversation avant de raccrocher (avec --missed : secondes de sonnerie en plus; 5 par défaut)
cli-simulate-missed = Personne ne répond : l’appel finit sans réponse
cli-simulate-post = Envoie des requêtes POST au lieu de GET
cli-paths = Indique où calltray garde sa configuration, ses données et ses journaux
cli-history = Liste les appels enregistrés par calltray, du plus récent au plus ancien
cli-history-missed = Seulement les appels manqués
cli-history-since = Seulement les appels à partir de ce jour (AAAA-MM-JJ, heure locale)
cli-history-limit = Au plus ce nombre d’appels (50 par défaut)
cli-history-json = JSON, un objet par appel
cli-history-csv = CSV avec une ligne d’en-tête
cli-secret = Gère la partie secrète des adresses de rappel
cli-secret-new = Met un nouveau secret aléatoire dans la configuration et affiche les nouvelles adresses de rappel
cli-lookup = Dit à qui est ce numéro, et sinon pourquoi : comment il a été lu, où il a été cherché
cli-lookup-number = Le numéro tel qu’un rappel ou une personne l’écrirait, par exemple "514 555-1212"

## Config edits

settings-fixed = Fichier de réglages de calltray corrigé
settings-fixed-body = Le fichier est de nouveau valide; les réglages en usage n’ont pas changé.
config-crm-placeholder-in-host = les variables ne peuvent remplir que le chemin ou la requête : l’adresse du site doit être écrite en entier, par exemple "https://crm.example.com/search?phone={"{"}e164{"}"}"
config-api-url-plain = utilisez https:// (la clé d’API traverserait le réseau en clair); http:// simple ne sert qu’à un substitut sur cet ordinateur, par exemple "http://127.0.0.1:8080"
config-file-too-large = le fichier dépasse { $kib } Kio; une configuration de calltray tient en quelques lignes

## calltray simulate

simulate-start = Simulation d’un appel { $direction ->
        [incoming] entrant
       *[outgoing] sortant
    } (callid { $callid }) vers { $base }
simulate-pause = les pauses doivent être de 0 à 3600 secondes, pas { $secs }
simulate-no-extension = aucun poste dans la configuration; indiquez --ext
simulate-no-number = indiquez le numéro de l’autre personne, par exemple 5145551212
simulate-unreachable = l’agent ne répond pas à { $base } : est-il lancé? Démarrez-le avec `calltray`
simulate-refused = l’agent en marche a refusé le rappel { $name }
simulate-ignored = l’agent en marche a ignoré l’appel : le poste { $extension } n’est pas dans ses `extensions`; indiquez --ext avec l’un des vôtres, ou ajoutez-le à la configuration
contacts-not-a-file = pas un fichier ordinaire

## One instance

already-running-at = calltray est déjà lancé (à l’écoute sur { $address }). Quittez-le d’abord (depuis son icône dans la zone de notification, ou en arrêtant son processus) pour en lancer un autre.
already-running = calltray est déjà lancé. Quittez-le d’abord (depuis son icône dans la zone de notification, ou en arrêtant son processus) pour en lancer un autre.
config-log-level = `{ $value }` n’est pas un niveau de journal; écrivez "error", "warn", "info", "debug" ou "trace"

## calltray autostart

autostart-enabled = calltray démarrera à l’ouverture de votre session ({ $path }).
autostart-disabled = calltray ne démarrera plus à l’ouverture de votre session ({ $path } supprimé).
autostart-hidden = calltray ne démarrera plus à l’ouverture de votre session : { $path } masque désormais pour vous l’entrée installée avec le paquet ({ $system }). `calltray autostart enable` annule cela.
autostart-was-off = calltray n’était pas réglé pour démarrer à l’ouverture de session; rien à faire.
autostart-on = calltray démarre à l’ouverture de votre session ({ $path }).
autostart-off = calltray ne démarre pas à l’ouverture de votre session; `calltray autostart enable` le règle.
cli-autostart = Démarre calltray à l’ouverture de votre session, ou arrête de le faire
cli-autostart-enable = Démarre calltray à l’ouverture de session (avec cette configuration si --config est donné)
cli-autostart-disable = Arrête de démarrer calltray à l’ouverture de session
cli-autostart-status = Dit si calltray démarre à l’ouverture de session
cli-completions = Affiche un script de complétion pour le shell (pour les paquets, ou `source <(calltray completions bash)`)
cli-completions-shell = bash, zsh, fish, elvish ou powershell
cli-man = Affiche la page de manuel de calltray (roff), telle que les paquets l’installent

## Erreurs des commandes (la raison donnée par le système suit, telle qu’il la donne)
err-no-home = dossier personnel introuvable; indiquez --config CHEMIN
err-man-page = impossible d’écrire la page de manuel
err-autostart-folder = dossier de configuration introuvable pour l’entrée de démarrage automatique
err-program-path = impossible de savoir où ce calltray est installé
err-write = impossible d’écrire { $path }
err-change = impossible de modifier { $path }
err-history-home = dossier personnel introuvable pour l’historique des appels
err-thread-history = impossible de démarrer le fil de l’historique des appels
err-thread-notifier = impossible de démarrer le fil des notifications
err-thread-agent = impossible de démarrer le fil de l’agent
err-signals = impossible de mettre en place la gestion des signaux d’arrêt
