# Every dependency through pkg-config (libhugetlbfs has no .pc: header and library).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED) # the archive writer's O_DIRECT write thread, replay's decoder thread
pkg_check_modules(DPDK REQUIRED IMPORTED_TARGET libdpdk)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(INIH REQUIRED IMPORTED_TARGET inih)
pkg_check_modules(JSONC REQUIRED IMPORTED_TARGET json-c)
# zlib: crc32() for archive checkpoints (readers/archset_ckpt.c).
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
# libbpf: the capture's XDP guard detaches net_af_xdp programs (capture/xdpguard.c).
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
if(FEEDCAP_BUILD_TESTS)
	pkg_check_modules(CRITERION REQUIRED IMPORTED_TARGET criterion)
endif()

find_path(HUGETLBFS_INCLUDE_DIR hugetlbfs.h REQUIRED)
find_library(HUGETLBFS_LIBRARY hugetlbfs REQUIRED)
add_library(feedcap::hugetlbfs UNKNOWN IMPORTED)
set_target_properties(feedcap::hugetlbfs PROPERTIES
	IMPORTED_LOCATION ${HUGETLBFS_LIBRARY}
	INTERFACE_INCLUDE_DIRECTORIES ${HUGETLBFS_INCLUDE_DIR})
