#!/usr/bin/env bash
# Prints the archive URI this machine's apt already uses for a Debian suite (default: the release's
# own codename), read from deb822 sources (/etc/apt/sources.list.d/*.sources) or the one-line
# /etc/apt/sources.list. Scripts derive every extra source (backports, deb-src, debootstrap's mirror)
# from it, so no archive host name is written into the project.
#   scripts/debian-mirror.sh [suite]
set -euo pipefail
suite=${1:-$( . /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")}
[ -n "$suite" ] || { echo "debian-mirror.sh: no suite given and no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
uri=$(awk -v s="$suite" '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i==s) print u}' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
[ -n "$uri" ] || uri=$(awk -v s="$suite" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
[ -n "$uri" ] || { echo "debian-mirror.sh: no apt source for suite $suite on this machine" >&2; exit 1; }
echo "$uri"
