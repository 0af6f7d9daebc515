#!/bin/sh
# Checks the packages in DIST (make test-package):
#  - the shipped programs have no .debug_* sections;
#  - the MSI's tables (msiinfo export);
#  - under Wine, in a throwaway prefix: msiexec /i /qn, the service's
#    registry entry, `dnswatchdog.exe version` from the install folder,
#    a major upgrade over an older build keeps the config, msiexec /x
#    removes the service and the program;
#  - the .deb: contents, conffiles, control; installed with dpkg --root
#    into a throwaway root (maintainer scripts run with DPKG_ROOT and
#    logging stand-ins for deb-systemd-helper/-invoke and systemctl:
#    nothing reaches this machine's dpkg database or systemd), purged;
#    lintian clean at the error and warning levels.
# Usage: scripts/test-package.sh [DIST]
set -eu
cd "$(dirname "$0")/.."
dist=$(cd "${1:-dist}" && pwd)
work=$(pwd)/build/test-package
rm -rf "$work"
mkdir -p "$work"
fails=0

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect WHAT FILE PATTERN: FILE has a line matching PATTERN (grep -E).
expect() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else fail "$1 (no /$3/ in $2)"; fi
}

msi=$(ls "$dist"/dnswatchdog-*-x64.msi)
deb=$(ls "$dist"/dnswatchdog_*_amd64.deb)
version=$(basename "$deb" | sed 's/^dnswatchdog_\(.*\)_amd64\.deb$/\1/')

# The release builds: stripped, with their debug info kept apart.
for b in build/release/dnswatchdog build/mingw-release/dnswatchdog.exe; do
	if ! objdump -h "$b" >"$work/sections.txt"; then
		fail "cannot read the sections of $b"
	elif grep -q '\.debug_' "$work/sections.txt"; then
		fail "$b has .debug_* sections"
	else
		ok "$b has no .debug_* sections"
	fi
	[ -s "$b.debug" ] && ok "$b.debug exists" || fail "no $b.debug"
done

# The MSI's tables.
for t in File Component ServiceInstall ServiceControl Upgrade Property Registry; do
	msiinfo export "$msi" $t >"$work/$t.idt"
done
tab=$(printf '\t')
expect "MSI File: dnswatchdog.exe" "$work/File.idt" "^dnswatchdog.exe${tab}Program${tab}dnswatchdog.exe${tab}"
expect "MSI Component: 64-bit, in INSTALLDIR" "$work/Component.idt" "^Program${tab}\{[0-9A-F-]+\}${tab}INSTALLDIR${tab}256${tab}"
expect "MSI ServiceInstall: DnsWatchdog, own process, auto start, LocalSystem, run" \
    "$work/ServiceInstall.idt" "${tab}DnsWatchdog${tab}DNS Watchdog${tab}16${tab}2${tab}1${tab}${tab}Dnscache\\[~\\]\\[~\\]${tab}LocalSystem${tab}${tab}run${tab}Program${tab}Keeps the split DNS"
# 163: start on install (1), stop on install (2) and uninstall (32),
# remove on uninstall (128).
expect "MSI ServiceControl: start, stop, remove" "$work/ServiceControl.idt" "${tab}DnsWatchdog${tab}163${tab}"
expect "MSI Upgrade: older versions replaced" "$work/Upgrade.idt" "^\{6B0F3C52-8E1A-4C7D-9B57-2F4E8A61D0C3\}${tab}${tab}$version${tab}.*WIX_UPGRADE_DETECTED"
expect "MSI Upgrade: newer versions refused" "$work/Upgrade.idt" "WIX_DOWNGRADE_DETECTED"
expect "MSI registers the Event Log source" "$work/Registry.idt" "EventLog\\\\Application\\\\DnsWatchdog\\\\${tab}EventMessageFile${tab}\\[#dnswatchdog.exe\\]"
expect "MSI is per-machine" "$work/Property.idt" "^ALLUSERS${tab}1"

# Under Wine.
wine=${DW_WINE:-/usr/lib/wine/wine64}
if [ -x "$wine" ]; then
	export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all
	PATH=$(dirname "$wine"):$PATH
	"$wine" wineboot -i >/dev/null 2>&1
	wineserver -w
	cp "$msi" "$work/dnswatchdog.msi"
	svc='HKLM\SYSTEM\CurrentControlSet\Services\DnsWatchdog'
	if "$wine" msiexec /i 'Z:'"$(echo "$work" | tr / '\\')"'\dnswatchdog.msi' /qn \
	    /l*v 'Z:'"$(echo "$work" | tr / '\\')"'\install.log' >/dev/null 2>&1; then
		ok "msiexec /i /qn exits 0"
	else
		fail "msiexec /i /qn failed (see $work/install.log)"
	fi
	"$wine" reg query "$svc" >"$work/svc.txt" 2>/dev/null || true
	expect "service registered: image path" "$work/svc.txt" 'ImagePath.*Program Files\\DnsWatchdog\\dnswatchdog\.exe.* run'
	expect "service registered: auto start" "$work/svc.txt" 'Start[[:space:]]+REG_DWORD[[:space:]]+0x2'
	expect "service registered: LocalSystem" "$work/svc.txt" 'ObjectName.*LocalSystem'
	expect "service registered: display name" "$work/svc.txt" 'DisplayName.*DNS Watchdog'
	# A major upgrade over an older build (the same program, version
	# 0.0.1): the config in ProgramData stays, and after the upgrade one
	# uninstall removes everything (no older product left holding the
	# files or the service).
	(cd build/mingw-release && wixl -a x64 -D Version=0.0.1 \
	    -D ExeSource=dnswatchdog.exe -o "$work/old.msi" \
	    "$OLDPWD/packaging/windows/dnswatchdog.wxs") 2>/dev/null
	winwork='Z:'"$(echo "$work" | tr / '\\')"
	"$wine" msiexec /x "$winwork\\dnswatchdog.msi" /qn >/dev/null 2>&1
	wineserver -w
	if "$wine" msiexec /i "$winwork\\old.msi" /qn >/dev/null 2>&1; then
		ok "msiexec /i of an older build exits 0"
	else
		fail "msiexec /i of an older build failed"
	fi
	pd="$WINEPREFIX/drive_c/ProgramData/DnsWatchdog"
	mkdir -p "$pd"
	echo '{}' >"$pd/config.json"
	if "$wine" msiexec /i "$winwork\\dnswatchdog.msi" /qn \
	    /l*v "$winwork\\upgrade.log" >/dev/null 2>&1; then
		ok "msiexec /i over the older build (major upgrade) exits 0"
	else
		fail "the major upgrade failed (see $work/upgrade.log)"
	fi
	expect "the upgrade finds the older product" "$work/upgrade.log" 'WIX_UPGRADE_DETECTED = \{'
	[ "$(cat "$pd/config.json" 2>/dev/null)" = '{}' ] &&
	    ok "the upgrade keeps the config" || fail "the upgrade lost the config"
	"$wine" reg query "$svc" >"$work/svc-upgraded.txt" 2>/dev/null || true
	expect "the service is registered after the upgrade" "$work/svc-upgraded.txt" 'Start[[:space:]]+REG_DWORD[[:space:]]+0x2'
	"$wine" 'C:\Program Files\DnsWatchdog\dnswatchdog.exe' version \
	    >"$work/version.txt" 2>&1 || true
	expect "dnswatchdog.exe version runs from the install folder" "$work/version.txt" '^dnswatchdog [0-9]'
	if "$wine" msiexec /x 'Z:'"$(echo "$work" | tr / '\\')"'\dnswatchdog.msi' /qn >/dev/null 2>&1; then
		ok "msiexec /x /qn exits 0"
	else
		fail "msiexec /x /qn failed"
	fi
	wineserver -w
	if "$wine" reg query "$svc" >/dev/null 2>&1; then
		fail "the service is still registered after /x"
	else
		ok "msiexec /x removes the service"
	fi
	if [ -e "$WINEPREFIX/drive_c/Program Files/DnsWatchdog/dnswatchdog.exe" ]; then
		fail "dnswatchdog.exe is still there after /x"
	else
		ok "msiexec /x removes the program"
	fi
	wineserver -k || true
else
	fail "no Wine at $wine"
fi

# The .deb: contents and control.
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/deb-files.txt"
for f in ./usr/sbin/dnswatchdog ./lib/systemd/system/dnswatchdog.service \
    ./etc/dnswatchdog/config.json ./usr/share/doc/dnswatchdog/copyright \
    ./usr/share/doc/dnswatchdog/changelog.gz \
    ./usr/share/doc/dnswatchdog/desired.example.jsonc; do
	expect ".deb ships $f" "$work/deb-files.txt" "^$f\$"
done
dpkg-deb -f "$deb" Depends >"$work/depends.txt"
expect ".deb Depends from dpkg-shlibdeps" "$work/depends.txt" 'libevent-core-2\.1-7.*libc6|libc6.*libevent-core-2\.1-7'
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$work/conffiles.txt"
expect ".deb conffile: the config" "$work/conffiles.txt" '^/etc/dnswatchdog/config\.json$'

# Installed into a throwaway root.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$work/shim"
: >"$root/var/lib/dpkg/status"
for t in deb-systemd-helper deb-systemd-invoke systemctl; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls.log"\n[ "$1" != --quiet ] || exit 0\n' \
	    "$t" "$work" >"$work/shim/$t"
	chmod +x "$work/shim/$t"
done
if PATH=$work/shim:$PATH dpkg --root="$root" --force-not-root \
    --force-script-chrootless --force-depends --log=/dev/null \
    -i "$deb" >"$work/dpkg-i.log" 2>&1; then
	ok "dpkg --root -i installs"
else
	fail "dpkg --root -i failed (see $work/dpkg-i.log)"
fi
[ -x "$root/usr/sbin/dnswatchdog" ] && ok "installed /usr/sbin/dnswatchdog" || fail "no /usr/sbin/dnswatchdog"
[ -d "$root/var/lib/dnswatchdog" ] && ok "postinst made /var/lib/dnswatchdog" || fail "no /var/lib/dnswatchdog"
expect "postinst enables the unit" "$work/calls.log" '^deb-systemd-helper enable dnswatchdog\.service$'
if grep -q 'deb-systemd-invoke' "$work/calls.log"; then
	fail "postinst started a unit while installing into another root"
else
	ok "nothing started under DPKG_ROOT"
fi
"$root/usr/sbin/dnswatchdog" --config "$root/etc/dnswatchdog/config.json" \
    once --dry-run >"$work/once.txt" 2>&1 || true
expect "the shipped config is valid (only the desired state is missing)" \
    "$work/once.txt" 'cannot read the desired state'
dpkg --root="$root" --status dnswatchdog | grep -A1 Conffiles >"$work/status.txt"
expect "dpkg records the conffile" "$work/status.txt" '/etc/dnswatchdog/config\.json [0-9a-f]{32}'
: >"$root/var/lib/dnswatchdog/follow-coder.json"
if PATH=$work/shim:$PATH dpkg --root="$root" --force-not-root \
    --force-script-chrootless --log=/dev/null -P dnswatchdog \
    >"$work/dpkg-P.log" 2>&1; then
	ok "dpkg --root -P purges"
else
	fail "dpkg --root -P failed (see $work/dpkg-P.log)"
fi
[ ! -e "$root/var/lib/dnswatchdog" ] && ok "purge removes /var/lib/dnswatchdog" || fail "purge left /var/lib/dnswatchdog"
[ ! -e "$root/etc/dnswatchdog/config.json" ] && ok "purge removes the conffile" || fail "purge left the config"
expect "postrm purges the unit's state" "$work/calls.log" '^deb-systemd-helper purge dnswatchdog\.service$'

if lintian --fail-on error,warning "$deb" >"$work/lintian.txt" 2>&1; then
	ok "lintian: no errors or warnings"
else
	fail "lintian: $(cat "$work/lintian.txt")"
fi

if [ $fails -ne 0 ]; then
	echo "test-package: $fails failures" >&2
	exit 1
fi
echo "test-package: all passed"
