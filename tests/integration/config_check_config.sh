#!/bin/bash
# `feedcap-capture --check-config --config FILE` and `feedcap-dump --check-config --config FILE`
# on malformed configs (the bad-input table of the faults issue): each is refused with exit
# code 2 and one message "FILE:LINE: KEY: problem" naming where it is wrong; the example
# config is accepted with exit code 0.  A tool that is not built yet is skipped with a reason.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_SRC

declare -A tools=([feedcap-capture]=${FEEDCAP_CAPTURE:-} [feedcap-dump]=${FEEDCAP_DUMP:-})
have=()
for t in feedcap-capture feedcap-dump; do
	if [[ -n ${tools[$t]} && -x ${tools[$t]} ]]; then
		have+=("$t")
	else
		skip_later "$t is not built: its --check-config is not checked"
	fi
done
((${#have[@]} > 0)) || skip "neither feedcap-capture nor feedcap-dump is built yet"

make_tmpdir tmp checkconfig

# name|line|key|what the message says|file content (printf format)
cases=$(
	cat <<'EOF'
size_wrong_type|2|ring.size|is not a size|[ring md]\nsize = 8X\n
size_out_of_range|2|ring.size|out of range|[ring md]\nsize = 2T\n
size_not_pow2|2|ring.size|not a power of two|[ring md]\nsize = 3G\n
duration_wrong_type|3|capture.stats_interval|is not a duration|[ring md]\n[capture]\nstats_interval = 5x\n
duration_out_of_range|3|capture.clock_max_offset|out of range|[ring md]\n[capture]\nclock_max_offset = 2s\n
bool_wrong_type|3|capture.strict|is not a boolean|[ring md]\n[capture]\nstrict = maybe\n
enum_wrong_value|3|job.format|is not one of|[ring md]\n[job a]\nformat = tiff\n
int_wrong_type|3|capture.snaplen|is not an integer|[ring md]\n[capture]\nsnaplen = big\n
int_out_of_range|3|capture.snaplen|out of range|[ring md]\n[capture]\nsnaplen = 70000\n
group_not_multicast|3|capture.groups|not a multicast group|[ring md]\n[capture]\ngroups = 10.1.1.1:5000\n
cpus_wrong|3|job.cpus|not a CPU list|[ring md]\n[job a]\ncpus = two\n
path_relative|3|job.directory|not an absolute path|[ring md]\n[job a]\ndirectory = archive\n
device_wrong|3|port.device|neither a PCI address|[ring md]\n[port a]\ndevice = eth0\n
unknown_key|3|job.fromat|unknown key|[ring md]\n[job a]\nfromat = pcap\n
unknown_section|2||unknown section|[ring md]\n[jobs a]\n
duplicate_key|4|ring.size|set twice|[ring md]\nsize = 1G\nbacking = shm\nsize = 2G\n
duplicate_section|3|job|defined twice|[ring md]\n[job a]\n[job a]\n
syntax|2||key = value|[ring md]\nthis is not ini\n
empty|0||the file is empty|
garbage|1||not a text config file|\x7fELF\x02\x01\x01\x00\x00\x00\x00\n
ring_reference|3|job.ring|no [ring other]|[ring md]\n[job a]\nring = other\n
EOF
)

for t in "${have[@]}"; do
	bin=${tools[$t]}
	rc=0
	out=$("$bin" --check-config --config "$FEEDCAP_SRC/config/feedcap.conf.example" 2>&1) || rc=$?
	((rc == 0)) || fail "$t --check-config rejects the example (exit $rc): $out"
	echo "ok: $t --check-config accepts feedcap.conf.example"
	n=0
	while IFS='|' read -r name line key what content; do
		f=$tmp/$name.conf
		# shellcheck disable=SC2059
		printf "$content" >"$f"
		rc=0
		out=$("$bin" --check-config --config "$f" 2>&1) || rc=$?
		((rc == 2)) || fail "$t on $name: exit $rc, expected 2 (output: $out)"
		if ((line > 0)); then
			loc="$f:$line: "
		else
			loc="$f: "
		fi
		[[ -n $key ]] && loc+="$key: "
		[[ $out == *"$loc"*"$what"* ]] ||
			fail "$t on $name: expected \"$loc...$what...\", got: $out"
		n=$((n + 1))
	done <<<"$cases"
	pass "$t --check-config refuses all $n malformed configs with exit 2 and the place"
	rc=0
	out=$("$bin" --check-config --config "$tmp/does-not-exist.conf" 2>&1) || rc=$?
	((rc == 2)) || fail "$t on a missing file: exit $rc, expected 2"
	[[ $out == *"does-not-exist.conf: cannot open"* ]] || fail "$t on a missing file: $out"
	pass "$t --check-config on a missing file"
done
