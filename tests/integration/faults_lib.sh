# shellcheck shell=bash
# faults_lib.sh - what the faults_*.sh tests share: a ring file in a private directory and the
# key=value lines faults_ringtool prints.
need_env FAULTS_RINGTOOL
tool=$FAULTS_RINGTOOL

# field LINE NAME: the value after NAME in a "name value name value" line
field() {
	local -a w
	read -r -a w <<<"$1"
	local i
	for ((i = 0; i + 1 < ${#w[@]}; i += 2)); do
		if [[ ${w[i]} == "$2" ]]; then
			echo "${w[i + 1]}"
			return 0
		fi
	done
	fail "no field $2 in: $1"
}

# kill_wait PID...: SIGKILL processes this test started and still runs as jobs, and reap them.
# A PID already reaped is left alone: it may belong to someone else by now.
kill_wait() {
	local p live
	live=" $(jobs -pr | tr '\n' ' ') "
	for p in "$@"; do
		[[ $live == *" $p "* ]] || continue
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# start_producer RING SIZE RATE SECONDS: faults_ringtool's producer in the background (killed
# at exit), its output in $tmp/producer.out and .err, its PID in $prod; returns once the ring
# says it runs (state 1), or after 2 s.
start_producer() {
	"$tool" produce "$1" "$2" "$3" "$4" >"$tmp/producer.out" 2>"$tmp/producer.err" &
	prod=$!
	at_exit kill_wait "$prod"
	for _ in $(seq 200); do
		[[ $("$tool" ctl "$1" 2>/dev/null) == *" state 1 "* ]] && break
		sleep 0.01
	done
}
