#!/bin/sh
# Unpacks Debian's systemd-resolved into .deps/resolved/root for the test
# that runs a real resolved in namespaces (tests/integration/resolved).
# The package is never installed: its postinst would replace
# /etc/resolv.conf and break this machine's own DNS. Its version must equal
# the installed libsystemd-shared, whose library it links. Installs the
# safe packages the test needs (dbus-daemon, dbus-bin, iproute2, and
# libsystemd-shared itself, a library without maintainer scripts) when they
# are missing; never systemd. Does nothing when the unpacked copy has the
# right version (the stamp file holds it).
# Exit status: 0 ready, 1 the test cannot run here (the reason on stderr).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir="$top/.deps/resolved"
root="$dir/root"
stamp="$dir/version"

say() {
	echo "resolved-deps: $*" >&2
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { say "need root to install packages"; exit 1; }
	SUDO="sudo"
fi
if ! command -v apt-get >/dev/null 2>&1; then
	say "no apt-get here: the test needs Debian's systemd-resolved package"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# dbus-daemon is its own package since Debian 12 (dbus before it);
# dbus-send and dbus-monitor are in dbus-bin.
# libsystemd-shared at the installed libsystemd0's version: nothing of the
# machine's systemd is upgraded along with it.
sdver=$(dpkg-query -W -f='${Version}' libsystemd0 2>/dev/null || true)
need=""
for p in dbus-daemon dbus-bin iproute2 libsystemd-shared; do
	installed "$p" && continue
	if [ "$p" = libsystemd-shared ] && [ -n "$sdver" ]; then
		p="libsystemd-shared=$sdver"
	fi
	need="$need $p"
done
if [ -n "$need" ]; then
	say "installing$need"
	# shellcheck disable=SC2086
	if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq \
	    --no-install-recommends $need >/dev/null; }; then
		say "could not install$need"
		exit 1
	fi
fi

version=$(dpkg-query -W -f='${Version}' libsystemd-shared)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] &&
    [ -x "$root/lib/systemd/systemd-resolved" ]; then
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current folder, as the user _apt
# when it can: a private folder it may write.
chmod 755 "$tmp"
if ! (cd "$tmp" && apt-get download -qq "systemd-resolved=$version" \
    >/dev/null 2>&1); then
	# The version may have left the lists since the last update.
	$SUDO apt-get update -qq >/dev/null 2>&1 || true
	if ! (cd "$tmp" && apt-get download -qq "systemd-resolved=$version" \
	    >/dev/null 2>"$tmp/err"); then
		say "could not download systemd-resolved $version (the installed libsystemd-shared's version): $(tail -n 1 "$tmp/err")"
		exit 1
	fi
fi
rm -rf "$root" "$stamp"
mkdir -p "$dir"
dpkg -x "$tmp"/systemd-resolved_*.deb "$root"
if [ ! -x "$root/lib/systemd/systemd-resolved" ] ||
    [ ! -x "$root/usr/bin/resolvectl" ]; then
	say "the package has no lib/systemd/systemd-resolved or usr/bin/resolvectl"
	rm -rf "$root"
	exit 1
fi
echo "$version" >"$stamp"
echo "resolved-deps: systemd-resolved $version unpacked in .deps/resolved/root"
