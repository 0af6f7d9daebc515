#!/bin/sh
# Checks the packages in DIST (make test-package):
#  - the shipped programs have no .debug_* sections;
#  - the MSI's tables (msiinfo export);
#  - under Wine, in a throwaway prefix: msiexec /i /qn, the service's
#    registry entry, `dnswatchdog.exe version` from the install folder,
#    a major upgrade over an older build keeps the config, msiexec /x
#    removes the service and the program; the custom actions: a CONFIG
#    that is not a config fails the install and leaves nothing, a good
#    one is copied in, FOLLOW writes a follow config, KEEPDNS=1 keeps
#    the NRPT rule and hosts section `once` wrote, an upgrade keeps
#    them, a plain uninstall removes them;
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
for t in File Component ServiceInstall ServiceControl Upgrade Property Registry \
    CustomAction InstallExecuteSequence; do
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
# 3090: an exe from an installed file (18), deferred (1024), as SYSTEM
# (2048); 3154: the same, its exit code ignored (64).
expect "MSI CustomAction: setup, deferred as SYSTEM, checked" "$work/CustomAction.idt" \
    "^DnsWatchdogSetup${tab}3090${tab}dnswatchdog.exe${tab}service --config-from \"\\[CONFIG\\]\" --follow \"\\[FOLLOW\\]\" setup"
expect "MSI CustomAction: cleanup, deferred as SYSTEM, never fails the uninstall" \
    "$work/CustomAction.idt" "^DnsWatchdogCleanup${tab}3154${tab}dnswatchdog.exe${tab}service cleanup"
# seq ACTION: its sequence number in InstallExecuteSequence.
seq() { awk -F "$tab" -v a="$1" '$1 == a { sub(/\r$/, "", $3); print $3 }' "$work/InstallExecuteSequence.idt"; }
expect "MSI sequence: setup on install, not on removal" "$work/InstallExecuteSequence.idt" \
    "^DnsWatchdogSetup${tab}NOT REMOVE=\"ALL\"${tab}"
expect "MSI sequence: cleanup on removal, not on upgrade, not with KEEPDNS=1" \
    "$work/InstallExecuteSequence.idt" \
    "^DnsWatchdogCleanup${tab}REMOVE=\"ALL\" AND NOT UPGRADINGPRODUCTCODE AND KEEPDNS<>\"1\"${tab}"
if [ "$(seq InstallServices)" -lt "$(seq DnsWatchdogSetup)" ] &&
    [ "$(seq DnsWatchdogSetup)" -lt "$(seq StartServices)" ]; then
	ok "MSI sequence: setup between InstallServices and StartServices"
else
	fail "MSI sequence: setup not between InstallServices and StartServices"
fi
if [ "$(seq StopServices)" -lt "$(seq DnsWatchdogCleanup)" ] &&
    [ "$(seq DnsWatchdogCleanup)" -lt "$(seq RemoveFiles)" ]; then
	ok "MSI sequence: cleanup between StopServices and RemoveFiles"
else
	fail "MSI sequence: cleanup not between StopServices and RemoveFiles"
fi

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
	# Set by `service setup` (the MSI's ServiceInstall has no such
	# setting); Wine keeps no recovery actions to read back.
	expect "service setup ran: the pre-shutdown timeout" "$work/svc.txt" 'PreshutdownTimeout[[:space:]]+REG_DWORD[[:space:]]+0x2710'
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

	# The custom actions, from a prefix with no DnsWatchdog folder.
	hosts="$WINEPREFIX/drive_c/windows/system32/drivers/etc/hosts"
	nrpt='HKLM\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters\DnsPolicyConfig'
	exe="$WINEPREFIX/drive_c/Program Files/DnsWatchdog/dnswatchdog.exe"
	rm -rf "$pd"
	echo '{"bogus": 1}' >"$work/bad.json"
	if "$wine" msiexec /i "$winwork\\dnswatchdog.msi" /qn \
	    CONFIG="$winwork\\bad.json" /l*v "$winwork\\bad.log" >/dev/null 2>&1; then
		fail "an install with a CONFIG that is not a config exits 0"
	else
		ok "an install with a CONFIG that is not a config fails"
	fi
	wineserver -w
	if "$wine" reg query "$svc" >/dev/null 2>&1 || [ -e "$exe" ] ||
	    [ -e "$pd/config.json" ]; then
		fail "the failed install left the service, the program or a config"
	else
		ok "the failed install leaves no service, program or config"
	fi
	printf '{"hosts": {"enabled": true}}\n' >"$work/config.json"
	if "$wine" msiexec /i "$winwork\\dnswatchdog.msi" /qn \
	    CONFIG="$winwork\\config.json" >/dev/null 2>&1; then
		ok "msiexec /i CONFIG=... exits 0"
	else
		fail "msiexec /i CONFIG=... failed"
	fi
	wineserver -w
	cmp -s "$work/config.json" "$pd/config.json" &&
	    ok "CONFIG is copied into ProgramData\\DnsWatchdog\\config.json" ||
	    fail "CONFIG was not copied into ProgramData\\DnsWatchdog\\config.json"
	# What the service would write, written by `once` (at once, and the
	# same as the service writes): one NRPT rule and the hosts section.
	printf '%s\n' '{"version": 1, "nrpt": [{"domains": ["msi-test.coder"],' \
	    '"servers": ["100.100.100.100"]}], "hosts": [{"address":' \
	    '"100.64.0.9", "names": ["msi-test.coder"]}]}' >"$pd/desired.json"
	"$wine" "$exe" once >"$work/once-win.txt" 2>&1 || true
	# has_dns FILE: FILE gets the NRPT rules and the hosts file; 0 when
	# both the rule and the section of msi-test.coder are there.
	has_dns() {
		"$wine" reg query "$nrpt" /s >"$1" 2>/dev/null || true
		grep -qi 'msi-test\.coder' "$1" &&
		    grep -q '^100\.64\.0\.9 msi-test\.coder' "$hosts"
	}
	has_dns "$work/nrpt-once.txt" && ok "once wrote the NRPT rule and the hosts section" ||
	    fail "once did not write the NRPT rule and the hosts section (see $work/once-win.txt)"
	"$wine" msiexec /x "$winwork\\dnswatchdog.msi" /qn KEEPDNS=1 >/dev/null 2>&1 ||
	    fail "msiexec /x KEEPDNS=1 failed"
	wineserver -w
	has_dns "$work/nrpt-keep.txt" && ok "msiexec /x KEEPDNS=1 keeps the rule and the section" ||
	    fail "msiexec /x KEEPDNS=1 removed the rule or the section"
	# A major upgrade: Windows removes the older product with
	# UPGRADINGPRODUCTCODE set, and its cleanup does not run. Wine's
	# RemoveExistingProducts runs `msiexec /i {product} REMOVE=ALL`
	# without it, so that removal is made here as Windows makes it.
	"$wine" msiexec /i "$winwork\\old.msi" /qn >/dev/null 2>&1 ||
	    fail "msiexec /i of the older build failed (second time)"
	wineserver -w
	"$wine" msiexec /x "$winwork\\old.msi" /qn \
	    UPGRADINGPRODUCTCODE='{00000000-0000-0000-0000-000000000001}' \
	    >/dev/null 2>&1 || fail "msiexec /x UPGRADINGPRODUCTCODE=... failed"
	wineserver -w
	has_dns "$work/nrpt-upgrade.txt" &&
	    ok "the older product's removal in an upgrade keeps the rule and the section" ||
	    fail "the older product's removal in an upgrade removed the rule or the section"
	"$wine" msiexec /i "$winwork\\old.msi" /qn >/dev/null 2>&1 ||
	    fail "msiexec /i of the older build failed (third time)"
	wineserver -w
	"$wine" msiexec /i "$winwork\\dnswatchdog.msi" /qn >/dev/null 2>&1 ||
	    fail "the major upgrade failed (second time)"
	wineserver -w
	if ! has_dns "$work/nrpt-upgrade2.txt"; then
		echo "WINE: cannot show a real major upgrade keeping the rule" \
		    "and the section: Wine removes the older product without" \
		    "UPGRADINGPRODUCTCODE"
		"$wine" "$exe" once >"$work/once-win2.txt" 2>&1 || true
		has_dns "$work/nrpt-once2.txt" ||
		    fail "once did not write the rule and the section again"
	fi
	cmp -s "$work/config.json" "$pd/config.json" &&
	    ok "the upgrade with no CONFIG keeps the config" ||
	    fail "the upgrade with no CONFIG changed the config"
	"$wine" msiexec /x "$winwork\\dnswatchdog.msi" /qn >/dev/null 2>&1 ||
	    fail "msiexec /x failed (after the upgrade)"
	wineserver -w
	if has_dns "$work/nrpt-removed.txt" || grep -qi 'msi-test\.coder' \
	    "$work/nrpt-removed.txt" || grep -q 'msi-test' "$hosts"; then
		fail "msiexec /x left the NRPT rule or the hosts section"
	else
		ok "msiexec /x removes the NRPT rule and the hosts section"
	fi
	# FOLLOW with no config yet.
	rm -f "$pd/config.json" "$pd/desired.json"
	if "$wine" msiexec /i "$winwork\\dnswatchdog.msi" /qn FOLLOW=tailscale \
	    >/dev/null 2>&1; then
		ok "msiexec /i FOLLOW=tailscale exits 0"
	else
		fail "msiexec /i FOLLOW=tailscale failed"
	fi
	wineserver -w
	expect "FOLLOW writes a config that follows the tunnel" "$pd/config.json" \
	    '^\{"follow":\{"tunnel":"tailscale"\}\}$'
	"$wine" msiexec /x "$winwork\\dnswatchdog.msi" /qn >/dev/null 2>&1 ||
	    fail "msiexec /x failed (after FOLLOW)"
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
