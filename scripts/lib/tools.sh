# shellcheck shell=bash
# tools.sh - find a built feedcap executable by target name in a build directory, through
# BUILD/feedcap-tools.txt (written by CMake: cmake/FeedcapInstall.cmake).
#
#   feedcap_tool BUILD NAME   prints the path and returns 0 if NAME is built there, else 1

feedcap_tool() {
	local build=$1 name=$2 path
	[[ -r $build/feedcap-tools.txt ]] || return 1
	path=$(awk -v n="$name" '$1 == n { print $2; exit }' "$build/feedcap-tools.txt")
	[[ -n $path && -x $path ]] || return 1
	printf '%s\n' "$path"
}
