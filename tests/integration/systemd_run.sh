#!/bin/bash
# The capture and one dump job as systemd services: transient units (systemd-run) carrying the
# [Service] properties of the installed feedcap-capture.service and feedcap-dump@.service,
# with only the paths changed (a private ring directory, config and archive directory, the
# built binaries).  The capture (net_pcap on the bundled capture) must reach READY through
# sd_notify, the dump job must write an archive that capinfos reads, and both must stop
# cleanly.  Needs systemd as PID 1: skipped with the reason where it is not (containers).
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_SRC FEEDCAP_BUILD
need_root
[[ -d /run/systemd/system ]] ||
	skip "systemd is not PID 1 here (no /run/systemd/system; PID 1 is $(cat /proc/1/comm)): transient units cannot run"
need_env FEEDCAP_CAPTURE FEEDCAP_DUMP
need_tools systemd-run systemctl capinfos systemd-sysusers
input=$FEEDCAP_SRC/tests/data/marketdata.pcap
[[ -f $input ]] || skip "$input is missing"

# Not under /tmp or /var/tmp: the units have PrivateTmp=yes and would not see the files.
TMPDIR=/run make_tmpdir tmp sdrun
chmod 0755 "$tmp"
tag=fcsd$$
capunit=feedcap-capture-$tag
dumpunit=feedcap-dump-$tag

# The users and group of sysusers.d, created for this test only when missing.
created_group=0 created_user=0
getent group feedcap >/dev/null || created_group=1
getent passwd feedcap-reader >/dev/null || created_user=1
systemd-sysusers "$FEEDCAP_SRC/systemd/sysusers.d/feedcap.conf" || fail "systemd-sysusers"
((created_user)) && at_exit userdel feedcap-reader
((created_group)) && at_exit groupdel feedcap

install -d -m 0750 -g feedcap "$tmp/run"
install -d -m 0750 -o feedcap-reader -g feedcap "$tmp/archive"
cat >"$tmp/feedcap.conf" <<EOF
[ring md]
size = 64M
backing = shm
path = $tmp/run/md
[port a]
device = net_pcap0,rx_pcap=$input
[capture]
poller_core = 1
control_core = 0
[job $tag]
directory = $tmp/archive
from = oldest
rotate_interval = 0
EOF
chmod 0644 "$tmp/feedcap.conf"

# props UNIT: the [Service] settings of the installed unit as -p arguments, minus what the
# test replaces (ExecStart*, paths).
props() {
	sed -n '/^\[Service\]/,/^\[/p' "$FEEDCAP_BUILD/systemd/$1" |
		grep -E '^[A-Z][A-Za-z]+=' |
		grep -vE '^(ExecStart|ExecStartPre|ReadWritePaths|RuntimeDirectory|RuntimeDirectoryMode)=' |
		sed 's/^/-p\n/'
}
mapfile -t capprops < <(props feedcap-capture.service)
mapfile -t dumpprops < <(props feedcap-dump@.service)
((${#capprops[@]} > 20 && ${#dumpprops[@]} > 20)) || fail "could not read the unit properties"

# The services start from systemd, not from this shell: the sanitizers' settings (exit codes,
# suppressions: cmake/FeedcapTesting.cmake) go along explicitly, so a report in a service
# fails it too.
sanenv=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[[ -z ${!v:-} ]] || sanenv+=("--setenv=$v")
done
at_exit systemctl stop "$capunit" "$dumpunit"
at_exit systemctl reset-failed "$capunit" "$dumpunit"
systemd-run --unit="$capunit" "${capprops[@]}" "${sanenv[@]}" -p ReadWritePaths="$tmp/run" \
	-p RuntimeDirectory="$tag" \
	"$FEEDCAP_CAPTURE" --config "$tmp/feedcap.conf" -- --no-pci --in-memory -m 256 \
	--file-prefix "$tag" || fail "systemd-run of the capture failed"
# Type=notify: systemd-run returns once READY=1 arrived (or the start failed).
state=$(systemctl show -p ActiveState --value "$capunit")
expect_eq "$state" active "capture unit state after READY"

systemd-run --unit="$dumpunit" "${dumpprops[@]}" "${sanenv[@]}" -p ReadWritePaths="$tmp/archive" \
	-p ReadWritePaths="$tmp/run" \
	"$FEEDCAP_DUMP" --config "$tmp/feedcap.conf" --job "$tag" || fail "systemd-run of the dump"
sleep 5
expect_eq "$(systemctl show -p ActiveState --value "$dumpunit")" active "dump unit state"
systemctl stop "$dumpunit" "$capunit"
for u in "$dumpunit" "$capunit"; do
	res=$(systemctl show -p Result --value "$u" 2>/dev/null || echo gone)
	[[ $res == success || $res == gone || -z $res ]] || fail "$u ended with Result=$res"
done
journalctl -u "$capunit" -u "$dumpunit" --no-pager -n 30 || true

files=("$tmp"/archive/*.pcap*)
[[ -e ${files[0]} ]] || fail "the dump job wrote no archive in $tmp/archive"
for f in "${files[@]}"; do
	[[ $f == *.part ]] && fail "$f left as .part after a clean stop"
	capinfos "$f" >/dev/null || fail "capinfos cannot read $f"
	expect_eq "$(stat -c %U "$f")" feedcap-reader "owner of $f"
done
pass "capture and dump ran as systemd services; ${#files[@]} archive file(s) readable"
