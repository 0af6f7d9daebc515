#!/bin/sh
# Installs the Debian/Ubuntu packages the build and the tests need, when
# they are missing. Safe to run again: it installs nothing when all are there.
set -eu

# Extra package names on the command line are installed too (the memory
# and static checks add valgrind and cppcheck).
pkgs="build-essential cmake pkg-config libevent-dev libcjson-dev libcmocka-dev unzip libsystemd-dev $*"
# sd-bus's headers at the version of the installed libsystemd0, so that
# nothing of the machine's systemd is upgraded along with them.
sdver=$(dpkg-query -W -f='${Version}' libsystemd0 2>/dev/null || true)

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		if [ "$p" = libsystemd-dev ] && [ -n "$sdver" ]; then
			p="libsystemd-dev=$sdver"
		fi
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "deps: missing packages:$missing (and no apt-get here: install them by hand)" >&2
		exit 1
	fi
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO="sudo"
		else
			echo "deps: need root to install:$missing" >&2
			exit 1
		fi
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# A real systemd-resolved for test_resolved_ns, unpacked, never installed.
# Without it that test skips, so its absence fails nothing here: one line
# says why.
if [ "$(uname -s)" = Linux ]; then
	if ! out=$(sh "$(dirname "$0")/resolved-deps.sh" 2>&1); then
		echo "deps: test_resolved_ns will skip: $(echo "$out" | tail -n 1)" >&2
	elif [ -n "$out" ]; then
		echo "$out" | tail -n 1
	fi
fi
