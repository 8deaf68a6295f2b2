# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for dialupctl: commands, each command's options, and modem ids (asked of the
# running daemon with `dialupctl list --quiet`; nothing when it is not running).
_dialupctl_modems() {
    dialupctl list --quiet 2>/dev/null
}

_dialupctl() {
    local cur prev command word i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="list status connect disconnect reset monitor log stats"
    local global="--json --no-color --help --version"

    command=
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case " $commands " in *" $word "*) command=$word; break ;; esac
    done

    case $prev in
        --password-file|--pin-file|--qmdl) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --apn|--user|--timeout|--last|--route-metric|--call) COMPREPLY=(); return ;;
        --dns) COMPREPLY=($(compgen -W "auto resolved resolvconf none" -- "$cur")); return ;;
        --ip-family) COMPREPLY=($(compgen -W "ipv4 ipv6 ipv4v6" -- "$cur")); return ;;
    esac

    local options
    case $command in
        "") COMPREPLY=($(compgen -W "$commands $global" -- "$cur")); return ;;
        list) options="--quiet" ;;
        status) options="" ;;
        connect) options="--apn --user --password-file --ask-password --pin-file --ask-pin --reconnect --no-reconnect --default-route --no-default-route --route-metric --dns --ip-family --wait --timeout" ;;
        disconnect) options="--timeout" ;;
        reset) options="--timeout" ;;
        monitor) options="--log" ;;
        log) options="--last --qmdl --call --force --save-dm" ;;
        stats) options="" ;;
    esac
    if [[ $cur == -* || $command == list ]]; then
        COMPREPLY=($(compgen -W "$options $global" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(_dialupctl_modems)" -- "$cur"))
    fi
}

complete -F _dialupctl dialupctl
