# The harness of the systemd-resolved test, sourced by the script that runs
# as PID 1 inside `unshare --mount --net --pid --uts --fork --propagation
# private --mount-proc`: every mount made here stays in the namespace and
# every process started here dies with it. It needs, in the environment:
#   RNS_DIR	a scratch folder (logs and files stay there for a post-mortem)
#   RNS_ROOT	the unpacked systemd-resolved package (scripts/resolved-deps.sh)
#   RNS_DNSRESP	the test DNS responder (dnsresp.c)
# ns_setup brings up a private D-Bus system bus, a veth pair dw0 <-> dw0p
# (dw0p in the nested netns "peer", where dnsresp answers for corp.example)
# and resolved; the other functions are what the scenarios use.

RNS_LINK=dw0
RNS_PEER_LINK=dw0p
RNS_ADDR=10.77.0.1
RNS_SERVER=10.77.0.2
RNS_ZONE=corp.example
RNS_ANSWER=10.77.0.99
RNS_BUS=/run/dbus/system_bus_socket
RESOLVECTL="$RNS_ROOT/usr/bin/resolvectl"
RNS_RESOLVED_PID=""

# The time in milliseconds, monotonic enough for deadlines.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_until TIMEOUT_MS CMD...: runs CMD every 20 ms until it succeeds;
# fails when TIMEOUT_MS pass first (CMD is still tried once at the end).
wait_until() {
	local deadline
	deadline=$(($(now_ms) + $1))
	shift
	while [ "$(now_ms)" -lt "$deadline" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	"$@" >/dev/null 2>&1
}

# bus_call DEST PATH INTERFACE.METHOD ARGS...: a method call on the bus,
# its reply on stdout.
bus_call() {
	local dest=$1 path=$2 method=$3
	shift 3
	dbus-send --system --print-reply --reply-timeout=2000 \
	    --dest="$dest" "$path" "$method" "$@"
}

# Whether NAME has an owner on the bus.
bus_has_owner() {
	bus_call org.freedesktop.DBus /org/freedesktop/DBus \
	    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null |
	    grep -q 'boolean true'
}

resolved_running() {
	bus_has_owner org.freedesktop.resolve1
}
resolved_gone() {
	! resolved_running
}

# Starts resolved and waits until it owns its bus name.
resolved_start() {
	SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console \
	    "$RNS_ROOT/lib/systemd/systemd-resolved" \
	    >>"$RNS_DIR/resolved.log" 2>&1 &
	RNS_RESOLVED_PID=$!
	if ! wait_until 5000 resolved_running; then
		echo "harness: resolved did not take its bus name;" \
		    "the end of $RNS_DIR/resolved.log:" >&2
		tail -n 20 "$RNS_DIR/resolved.log" >&2
		return 1
	fi
}

# Stops resolved and waits until it is gone (and its bus name with it).
resolved_stop() {
	[ -n "$RNS_RESOLVED_PID" ] || return 0
	kill -TERM "$RNS_RESOLVED_PID" 2>/dev/null
	wait "$RNS_RESOLVED_PID" 2>/dev/null
	RNS_RESOLVED_PID=""
	wait_until 5000 resolved_gone
}

# The link's ifindex in this namespace (empty when there is no link).
link_ifindex() {
	cat "/sys/class/net/$RNS_LINK/ifindex" 2>/dev/null
}

# Adds the veth pair, the far end in netns peer, both ends addressed and up.
link_create() {
	ip link add "$RNS_LINK" type veth peer name "$RNS_PEER_LINK" \
	    netns peer &&
	ip addr add "$RNS_ADDR/24" dev "$RNS_LINK" &&
	ip link set "$RNS_LINK" up &&
	ip -n peer addr add "$RNS_SERVER/24" dev "$RNS_PEER_LINK" &&
	ip -n peer link set "$RNS_PEER_LINK" up
}

# Deletes dw0 (its peer goes with it) and makes it again: a VPN client
# that recreates its interface. The kernel never reuses an ifindex soon,
# so the new link has a new one.
link_recreate() {
	ip link del "$RNS_LINK" && link_create
}

# What resolved says about the link, without resolvectl's "Link N (dw0):"
# prefix: its DNS servers, its domains ("~" marks a routing-only one) and
# whether it is a default route ("yes" or "no": the effective value).
resolvectl_value() {
	"$RESOLVECTL" "$1" "$RNS_LINK" 2>/dev/null |
	    sed -n 's/^Link [0-9]* ([^)]*): *//p'
}
link_dns() {
	resolvectl_value dns
}
link_domains() {
	resolvectl_value domain
}
link_default_route() {
	resolvectl_value default-route
}

# link_saved KEY: the value resolved saved for the link in
# /run/systemd/resolve/netif/IFINDEX. It holds only what was set over the
# bus (DEFAULT_ROUTE only when SetLinkDefaultRoute ran), which the
# effective values above do not tell apart.
link_saved() {
	sed -n "s/^$1=//p" "/run/systemd/resolve/netif/$(link_ifindex)" \
	    2>/dev/null
}

# One line for failure messages: what resolved holds for the link now.
link_state() {
	echo "link $RNS_LINK ifindex $(link_ifindex):" \
	    "DNS '$(link_dns)' domains '$(link_domains)'" \
	    "default-route '$(link_default_route)'"
}

dnsresp_listening() {
	ip netns exec peer ss -Hlun "sport = :53" | grep -q "$RNS_SERVER"
}

ns_write_files() {
	local uid gid

	# resolved drops privileges to systemd-resolve: scratch copies of
	# passwd and group with that user, in this namespace only.
	cp /etc/passwd "$RNS_DIR/passwd"
	cp /etc/group "$RNS_DIR/group"
	if ! grep -q '^systemd-resolve:' "$RNS_DIR/passwd"; then
		uid=$(awk -F: '{ u[$3] = 1 } END { for (i = 990; i < 60000; i++)
		    if (!(i in u)) { print i; exit } }' "$RNS_DIR/passwd")
		gid=$(awk -F: '{ g[$3] = 1 } END { for (i = 990; i < 60000; i++)
		    if (!(i in g)) { print i; exit } }' "$RNS_DIR/group")
		echo "systemd-resolve:x:$uid:$gid::/run/systemd:/usr/sbin/nologin" \
		    >>"$RNS_DIR/passwd"
		grep -q '^systemd-resolve:' "$RNS_DIR/group" ||
		    echo "systemd-resolve:x:$gid:" >>"$RNS_DIR/group"
	fi
	# A real server here would be imported as a global one; the stub
	# lets glibc's lookups go through resolved.
	printf 'nameserver 127.0.0.53\noptions edns0\n' >"$RNS_DIR/resolv.conf"
	# resolve1 can be started by the bus, as on a machine where resolved
	# is installed but stopped: a start fails here, so a request that
	# let the bus start it would fail instead of finding no owner.
	mkdir -p "$RNS_DIR/services"
	printf '[D-BUS Service]\nName=org.freedesktop.resolve1\nExec=/bin/false\nUser=root\n' \
	    >"$RNS_DIR/services/org.freedesktop.resolve1.service"
	cat >"$RNS_DIR/bus.conf" <<-EOF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>unix:path=$RNS_BUS</listen>
	  <auth>EXTERNAL</auth>
	  <servicedir>$RNS_DIR/services</servicedir>
	  <policy context="default">
	    <allow user="*"/>
	    <allow own="*"/>
	    <allow send_type="method_call"/>
	    <allow send_destination="*"/>
	    <allow receive_sender="*"/>
	  </policy>
	</busconfig>
	EOF
}

# Everything the scenarios need, up; fails with a sentence on stderr.
ns_setup() {
	ns_write_files || return 1
	hostname dw-resolved-test 2>/dev/null || :
	mount -t tmpfs -o mode=755 tmpfs /run &&
	mount -t sysfs sysfs /sys &&
	mount --bind "$RNS_DIR/passwd" /etc/passwd &&
	mount --bind "$RNS_DIR/group" /etc/group || {
		echo "harness: could not mount /run, /sys, passwd or group" >&2
		return 1
	}
	# A resolv.conf that is a link into /run (resolved's own stub file on
	# machines that run it) points into the new empty /run: resolved
	# writes its stub file there itself.
	if [ ! -L /etc/resolv.conf ]; then
		mount --bind "$RNS_DIR/resolv.conf" /etc/resolv.conf || return 1
	fi
	# Not /run/systemd/resolve: resolved refuses a folder it does not own.
	mkdir -p /run/dbus /run/systemd/resolved.conf.d
	# No fallback servers, nothing multicast, no cache: every query
	# for the zone reaches the responder.
	printf '[Resolve]\nDNS=\nFallbackDNS=\nLLMNR=no\nMulticastDNS=no\nDNSSEC=no\nCache=no\n' \
	    >/run/systemd/resolved.conf.d/test.conf

	export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$RNS_BUS"
	dbus-daemon --config-file="$RNS_DIR/bus.conf" --nofork --nopidfile \
	    --nosyslog >>"$RNS_DIR/dbus.log" 2>&1 &
	if ! wait_until 5000 bus_has_owner org.freedesktop.DBus; then
		echo "harness: dbus-daemon did not come up:" \
		    "$(tail -n 5 "$RNS_DIR/dbus.log")" >&2
		return 1
	fi

	ip link set lo up &&
	ip netns add peer &&
	ip -n peer link set lo up &&
	link_create || {
		echo "harness: could not make the veth pair" >&2
		return 1
	}
	: >"$RNS_DIR/dnsresp.log"
	ip netns exec peer "$RNS_DNSRESP" "$RNS_SERVER" 53 "$RNS_ZONE" \
	    "$RNS_ANSWER" "$RNS_DIR/dnsresp.log" >>"$RNS_DIR/dnsresp.out" 2>&1 &
	if ! wait_until 5000 dnsresp_listening; then
		echo "harness: dnsresp is not listening:" \
		    "$(cat "$RNS_DIR/dnsresp.out")" >&2
		return 1
	fi

	resolved_start
}
