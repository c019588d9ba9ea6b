# Les mots de calltray en français (Québec). Chaque identifiant a son jumeau dans ../en/calltray.ftl.
# Les arguments arrivent déjà nettoyés (et échappés quand le texte est du balisage de notification).

## Numéros

unknown-number = Numéro inconnu
extension = poste { $number }

## Notifications d’appel

toast-incoming = Appel entrant
toast-calling = Appel en cours…
toast-answered = Appel répondu
toast-missed = Appel manqué
toast-no-answer = Pas de réponse
toast-ended = Appel terminé
toast-ended-after = Appel terminé · { $duration }
toast-to-extension = pour le { $extension }
toast-from-extension = depuis le { $extension }

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
call-back-calling = Appel de { $party }
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
status-more = { " " }(+{ $count } autres)
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
history-outcome = issue
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
paths-logs-note = pour l’instant, calltray écrit son journal sur la sortie d’erreur
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

lookup-phone = { $raw } se lit { $e164 }, affiché { $display } (région { $region }).
lookup-extension = { $raw } se lit comme le poste { $number } : les noms viennent des postes Ubity.
lookup-text = { $raw } n’est pas un numéro que calltray sait lire; il est affiché tel quel et ne correspond à aucun contact.
lookup-empty = Aucun numéro : un tel appel s’affiche « Numéro inconnu ».
lookup-found = Nom : { $name } (de { $source }).
lookup-not-found = Aucun nom ne correspond.
lookup-searched = Cherché dans :
lookup-source = { $label } : { $count ->
        [one] 1 numéro
       *[other] { $count } numéros
    }
lookup-source-problem = { $label } : illisible ({ $problem })
lookup-extensions = Postes Ubity : { $count ->
        [one] 1 nom
       *[other] { $count } noms
    }{ $keyed ->
        [yes] {""}
       *[no] { " " }(indiquez [ubity] api_key pour les obtenir)
    }
lookup-no-contacts = Aucun fichier de contacts : ajoutez-les à `contacts` dans la configuration.
history-name = nom
action-open-crm = Ouvrir dans le CRM
