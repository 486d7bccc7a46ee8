#!/bin/bash
# `cmake --install` into a DESTDIR produces every file the tree says it should
# (build/install-expected.txt, derived from the targets and files the folders define: see
# cmake/FeedcapInstall.cmake), installs nothing private, and the installed ringshm.pc,
# header and library build and run a reader program.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_BUILD
need_tools cmake pkg-config cc
expected=$FEEDCAP_BUILD/install-expected.txt
[[ -s $expected ]] || fail "$expected is missing: configure with the top-level CMakeLists.txt"
make_tmpdir tmp install
dest=$tmp/dest
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$FEEDCAP_BUILD/CMakeCache.txt")
[[ -n $prefix ]] || fail "no CMAKE_INSTALL_PREFIX in $FEEDCAP_BUILD/CMakeCache.txt"

DESTDIR=$dest cmake --install "$FEEDCAP_BUILD" >"$tmp/install.log" 2>&1 ||
	fail "cmake --install failed: $(tail -n 20 "$tmp/install.log")"
root=$dest$prefix
n=0
while read -r kind path; do
	case $kind in
	bin)
		[[ -x $root/$path ]] || fail "binary $path is not installed (missing install(TARGETS) in its folder?)"
		;;
	abs)
		[[ -x $dest/$path ]] || fail "program $path is not installed (under DESTDIR, at that absolute path)"
		;;
	lib | header | pc | doc)
		[[ -f $root/$path ]] || fail "$kind $path is not installed"
		;;
	man)
		found=$(find "$root" -path "*/man/man*/$path" -o -path "*/man/man*/$path.gz" | head -n 1)
		[[ -n $found ]] || fail "man page $path is not installed under a man/manN directory"
		;;
	unit)
		found=$(find "$dest" -path "*/systemd/system/$path" | head -n 1)
		[[ -n $found ]] || fail "systemd unit $path is not installed in a systemd/system directory"
		;;
	conf)
		found=$(find "$dest" -name "$path" | head -n 1)
		[[ -n $found ]] || fail "example config $path is not installed"
		;;
	*) fail "unknown kind '$kind' in $expected" ;;
	esac
	echo "ok: $kind $path"
	n=$((n + 1))
done <"$expected"
((n > 0)) || fail "$expected lists nothing"
pass "all $n expected files installed under DESTDIR$prefix"

private=$(find "$dest" -name '*_internal.h' -o -name 'feedcap-gendata' -o -name 'bench-*')
[[ -z $private ]] || fail "private files installed: $private"
pass "nothing private installed"

if grep -q '^pc ' "$expected"; then
	pcdir=$(dirname "$root/$(sed -n 's/^pc //p' "$expected")")
	export PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$pcdir
	cat >"$tmp/reader.c" <<'C'
#include <stdio.h>
#include <ringshm.h>
int main(void)
{
	char path[256];

	if (ringshm_resolve("md", "/run/feedcap-test", path, sizeof(path)) != 0)
		return 1;
	printf("%s\n", path);
	return 0;
}
C
	# A sanitized build installs a sanitized library: link the reader the same way.
	san=$(sed -n 's/^FEEDCAP_SANITIZE:STRING=//p' "$FEEDCAP_BUILD/CMakeCache.txt")
	sanflags=()
	[[ -z $san ]] || sanflags=("-fsanitize=$san")
	# shellcheck disable=SC2046
	cc -Wall -Werror "${sanflags[@]}" -o "$tmp/reader" "$tmp/reader.c" $(pkg-config --cflags ringshm) \
		$(pkg-config --static --libs ringshm) ||
		fail "a reader does not build against the installed ringshm.pc"
	expect_eq "$(LD_LIBRARY_PATH=$(dirname "$root/$(sed -n 's/^lib //p' "$expected")") \
		"$tmp/reader")" /run/feedcap-test/md "installed ringshm resolves a name"
	pass "a reader builds and runs against the installed ringshm.pc"
else
	skip_later "no ringshm.pc in the install: a reader is not built against it"
fi
