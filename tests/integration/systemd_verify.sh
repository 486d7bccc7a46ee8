#!/bin/bash
# The systemd part as installed: `cmake --install` of the feedcap_systemd (and man page)
# components into a temporary DESTDIR, then
#   - `systemd-analyze verify` on every unit, any warning counting as a failure (verify
#     exits 0 on unknown keys and bad values: its output is what tells), with man pages
#     looked up in the DESTDIR when they are all installed;
#   - negative controls: broken copies of a unit must fail the same check;
#   - the properties the operations issue asks for are present;
#   - `systemd-analyze security --offline` exposure: the reader unit stays a sandbox;
#   - sysusers.d and tmpfiles.d applied to a temporary root give the users, groups,
#     directories and modes documented in docs/operations.md.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_BUILD
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze is not installed (apt-get install systemd)"
fi
need_tools cmake systemd-sysusers systemd-tmpfiles

make_tmpdir tmp sdverify
dest=$tmp/root
cache=$FEEDCAP_BUILD/CMakeCache.txt
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$cache")
unitdir=$(sed -n 's/^FEEDCAP_SYSTEMD_UNITDIR:PATH=//p' "$cache")
[[ -n $prefix && -n $unitdir ]] || fail "no install prefix or unit dir in $cache"

for comp in feedcap_systemd feedcap_man; do
	DESTDIR=$dest cmake --install "$FEEDCAP_BUILD" --component $comp >"$tmp/install.log" 2>&1 ||
		fail "cmake --install --component $comp: $(tail -n 5 "$tmp/install.log")"
done
units=(feedcap-capture.service feedcap-dump@.service feedcap-hugepages.service)
for u in "${units[@]}"; do
	[[ -f $dest$unitdir/$u ]] || fail "$u is not installed in DESTDIR$unitdir"
done
pass "units installed in $unitdir"

# A copy of the units whose ExecStart= points at what exists here: the built binaries (the
# installed path is $prefix/bin, not installed by this test), the installed helper script.
check=$tmp/check
mkdir -p "$check"
cp "$dest$unitdir"/*.service "$check"/
declare -A built=([feedcap-capture]=${FEEDCAP_CAPTURE:-} [feedcap-dump]=${FEEDCAP_DUMP:-})
for tool in feedcap-capture feedcap-dump; do
	bin=${built[$tool]}
	if [[ -z $bin || ! -x $bin ]]; then
		skip_later "$tool is not built: its unit's ExecStart= is checked against /bin/true"
		bin=/bin/true
	fi
	sed -i "s#$prefix/bin/$tool\\b#$bin#g" "$check"/*.service
done
sed -i "s#$prefix/libexec/feedcap/#$dest$prefix/libexec/feedcap/#g" "$check"/*.service
grep -q "^ExecStart=$prefix" "$check"/*.service && fail "an ExecStart= still points at $prefix"

# Man pages named by Documentation=man:... are checked when every one is installed.
mandir=$(find "$dest" -type d -path '*/share/man' | head -n 1)
man_opt=--man=no
missing=()
for page in $(grep -ho 'man:[^ ]*' "$check"/*.service | sort -u); do
	p=${page#man:}
	name=${p%(*}
	sect=${p##*(}
	sect=${sect%)}
	[[ -n $mandir && -f $mandir/man$sect/$name.$sect ]] || missing+=("$name.$sect")
done
if ((${#missing[@]} == 0)); then
	man_opt=--man=yes
	export MANPATH=$mandir
	log "man pages of Documentation= are all installed: verify looks them up in $mandir"
else
	skip_later "man pages of Documentation= not installed (${missing[*]}): verify runs with --man=no"
fi

# verify_unit FILE: 0 when systemd-analyze verify exits 0 and prints nothing.
verify_unit() {
	local out rc=0
	out=$(cd "$(dirname "$1")" && systemd-analyze verify $man_opt "./$(basename "$1")" 2>&1) ||
		rc=$?
	if ((rc != 0)) || [[ -n $out ]]; then
		echo "$out" >&2
		return 1
	fi
	return 0
}

for u in "${units[@]}"; do
	verify_unit "$check/$u" || fail "systemd-analyze verify $u complained (above)"
	pass "verify $u"
done
cp "$check/feedcap-dump@.service" "$check/feedcap-dump@archive.service"
verify_unit "$check/feedcap-dump@archive.service" || fail "verify feedcap-dump@archive.service"
pass "verify feedcap-dump@archive.service (an instance of the template)"
rm -f "$check/feedcap-dump@archive.service"

# Negative controls: the check above must catch each of these.
bad=$tmp/bad
mkdir -p "$bad"
n=0
while IFS='|' read -r what expr; do
	cp "$check/feedcap-capture.service" "$bad/feedcap-capture.service"
	sed -i "$expr" "$bad/feedcap-capture.service"
	cmp -s "$bad/feedcap-capture.service" "$check/feedcap-capture.service" &&
		fail "negative control '$what': the sed changed nothing"
	if verify_unit "$bad/feedcap-capture.service" 2>/dev/null; then
		fail "negative control '$what' passed verify: the check cannot fail"
	fi
	echo "ok: a unit with $what is refused"
	n=$((n + 1))
done <<'EOF'
a misspelt Type=|s/^Type=notify/Type=notiffy/
an unknown key|s/^WatchdogSec=.*/&\nWatchdogSecs=10s/
a missing binary|s#^ExecStart=[^ ]*#ExecStart=/nonexistent/feedcap-capture#
a bad Restart= value|s/^Restart=on-failure/Restart=sometimes/
a bad limit|s/^LimitMEMLOCK=.*/LimitMEMLOCK=lots/
EOF
pass "$n negative controls refused"

# The properties the operations issue spells out.
has() { grep -qx -- "$2" "$check/$1" || fail "$1 lacks the line '$2'"; }
has feedcap-capture.service 'Type=notify'
has feedcap-capture.service 'Restart=on-failure'
has feedcap-capture.service 'LimitMEMLOCK=infinity'
grep -q '^WatchdogSec=[0-9]' "$check/feedcap-capture.service" || fail "capture: no WatchdogSec="
grep -q '^CPUAffinity=[0-9]' "$check/feedcap-capture.service" || fail "capture: no CPUAffinity="
grep -q '^After=.*ptp4l' "$check/feedcap-capture.service" || fail "capture: not after ptp4l"
grep -q '^After=.*phc2sys' "$check/feedcap-capture.service" || fail "capture: not after phc2sys"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$check/feedcap-capture.service")
for c in $caps; do
	grep -q "^#   $c " "$check/feedcap-capture.service" ||
		fail "capture keeps $c without a comment saying why"
	grep -q "$c" "$FEEDCAP_SRC/docs/operations.md" || fail "$c is not justified in docs/operations.md"
done
[[ $caps != *CAP_SYS_ADMIN* ]] || fail "capture keeps CAP_SYS_ADMIN"
has feedcap-dump@.service "ExecStart=${FEEDCAP_DUMP:-/bin/true} --job %i"
has feedcap-dump@.service 'User=feedcap-reader'
has feedcap-dump@.service 'Group=feedcap'
has feedcap-dump@.service 'NoNewPrivileges=yes'
has feedcap-dump@.service 'ProtectSystem=strict'
has feedcap-dump@.service 'PrivateNetwork=yes'
has feedcap-dump@.service 'ReadWritePaths=/var/lib/feedcap'
has feedcap-dump@.service 'CapabilityBoundingSet='
has feedcap-hugepages.service 'Type=oneshot'
pass "unit properties"

# Exposure as systemd scores it (0 = locked down, 10 = unprotected).
exposure() {
	(cd "$check" && systemd-analyze security --offline=yes --no-pager "./$1" 2>/dev/null) |
		sed -n 's/.*Overall exposure level for [^ ]*: \([0-9.]*\).*/\1/p' || true
}
cp "$check/feedcap-dump@.service" "$check/feedcap-dump@archive.service"
e_dump=$(exposure feedcap-dump@archive.service)
e_cap=$(exposure feedcap-capture.service)
[[ -n $e_dump && -n $e_cap ]] || fail "systemd-analyze security --offline gave no score"
awk -v e="$e_dump" 'BEGIN { exit !(e <= 2.0) }' ||
	fail "feedcap-dump@ exposure $e_dump > 2.0: a reader must stay sandboxed"
awk -v e="$e_cap" 'BEGIN { exit !(e <= 6.0) }' || fail "feedcap-capture exposure $e_cap > 6.0"
pass "exposure: feedcap-dump@ $e_dump, feedcap-capture $e_cap"

# sysusers.d and tmpfiles.d in a temporary root.
sysroot=$tmp/sysroot
mkdir -p "$sysroot/etc"
sysusers=$(find "$dest" -path '*/sysusers.d/feedcap.conf')
tmpfiles=$(find "$dest" -path '*/tmpfiles.d/feedcap.conf')
[[ -n $sysusers && -n $tmpfiles ]] || fail "sysusers.d or tmpfiles.d entry not installed"
systemd-sysusers --root="$sysroot" "$sysusers" >"$tmp/sysusers.log" 2>&1 ||
	fail "systemd-sysusers: $(cat "$tmp/sysusers.log")"
if grep -qv '^Creating' "$tmp/sysusers.log"; then
	fail "systemd-sysusers warned: $(cat "$tmp/sysusers.log")"
fi
gid=$(awk -F: '$1 == "feedcap" { print $3 }' "$sysroot/etc/group")
[[ -n $gid ]] || fail "group feedcap not created"
IFS=: read -r _ _ uid ugid _ home shell < <(grep '^feedcap-reader:' "$sysroot/etc/passwd")
[[ -n ${uid:-} ]] || fail "user feedcap-reader not created"
expect_eq "$ugid" "$gid" "feedcap-reader's primary group is feedcap"
expect_eq "$shell" /usr/sbin/nologin "feedcap-reader cannot log in"
expect_eq "$home" /var/lib/feedcap "feedcap-reader's home"

out=$(systemd-tmpfiles --create --root="$sysroot" "$tmpfiles" 2>&1) ||
	fail "systemd-tmpfiles --create: $out"
[[ -z $out ]] || fail "systemd-tmpfiles warned: $out"
expect_eq "$(stat -c '%a %u %g' "$sysroot/run/feedcap")" "750 0 $gid" "/run/feedcap mode uid gid"
expect_eq "$(stat -c '%a %u %g' "$sysroot/var/lib/feedcap")" "750 $uid $gid" \
	"/var/lib/feedcap mode uid gid"
pass "sysusers.d and tmpfiles.d"
