# Install rules owned by the top level, and the list of files an install must produce.
#
# Modules install their own targets (install(TARGETS ...) next to add_executable).  What a
# complete install contains is derived from the tree, not written down by hand, so that the
# install test (tests/integration/install.sh) fails when a module forgets its rule:
#   - every executable defined outside tests/, bench/ and docs/ (examples) -> ${CMAKE_INSTALL_BINDIR}
#     (or its FEEDCAP_INSTALL_DIR property: feedcap-extcap goes to Wireshark's extcap folder)
#   - the ringshm library, ringshm.h, ringshm_format.h, ringshm.pc
#   - every systemd unit in systemd/, every man page in docs/, the example config
#   - README.md and docs/architecture.md                      -> ${CMAKE_INSTALL_DOCDIR}
# and never: *_internal.h, test tools (feedcap-gendata), benchmarks.

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/architecture.md
	DESTINATION ${CMAKE_INSTALL_DOCDIR})

function(_feedcap_collect_targets dir out)
	get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
	get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
	foreach(sub ${subdirs})
		_feedcap_collect_targets(${sub} more)
		list(APPEND targets ${more})
	endforeach()
	set(${out} ${targets} PARENT_SCOPE)
endfunction()

# Writes ${PROJECT_BINARY_DIR}/install-expected.txt: one "KIND PATH" a line, PATH relative to
# the install prefix ("KIND NAME" for kinds found by name: man, unit, conf).
function(feedcap_install_manifest)
	set(lines "")
	_feedcap_collect_targets(${PROJECT_SOURCE_DIR} targets)
	foreach(t ${targets})
		get_target_property(type ${t} TYPE)
		get_target_property(srcdir ${t} SOURCE_DIR)
		file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${srcdir})
		if(type STREQUAL "EXECUTABLE" AND NOT rel MATCHES "^(tests|bench|docs)(/|$)")
			# FEEDCAP_INSTALL_DIR: a program installed elsewhere than the bin folder
			# (feedcap-extcap: Wireshark's extcap folder); "abs" when it is absolute
			get_target_property(idir ${t} FEEDCAP_INSTALL_DIR)
			if(NOT idir)
				string(APPEND lines
					"bin ${CMAKE_INSTALL_BINDIR}/$<TARGET_FILE_NAME:${t}>\n")
			elseif(IS_ABSOLUTE "${idir}")
				string(APPEND lines "abs ${idir}/$<TARGET_FILE_NAME:${t}>\n")
			else()
				string(APPEND lines "bin ${idir}/$<TARGET_FILE_NAME:${t}>\n")
			endif()
		endif()
	endforeach()
	if(TARGET ringshm)
		string(APPEND lines
			"lib ${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:ringshm>\n"
			"header ${CMAKE_INSTALL_INCLUDEDIR}/feedcap/ringshm.h\n"
			"header ${CMAKE_INSTALL_INCLUDEDIR}/feedcap/ringshm_format.h\n"
			"pc ${CMAKE_INSTALL_LIBDIR}/pkgconfig/ringshm.pc\n")
	endif()
	if(TARGET timesync)
		string(APPEND lines "header ${CMAKE_INSTALL_INCLUDEDIR}/feedcap/timesync_format.h\n")
	endif()
	file(GLOB units ${PROJECT_SOURCE_DIR}/systemd/*.service ${PROJECT_SOURCE_DIR}/systemd/*.timer
		${PROJECT_SOURCE_DIR}/systemd/*.socket ${PROJECT_SOURCE_DIR}/systemd/*.path)
	foreach(f ${units})
		get_filename_component(n ${f} NAME)
		string(APPEND lines "unit ${n}\n")
	endforeach()
	file(GLOB_RECURSE mans ${PROJECT_SOURCE_DIR}/docs/*.[1-8])
	foreach(f ${mans})
		get_filename_component(n ${f} NAME)
		string(APPEND lines "man ${n}\n")
	endforeach()
	if(EXISTS ${PROJECT_SOURCE_DIR}/config/feedcap.conf.example)
		string(APPEND lines "conf feedcap.conf.example\n")
	endif()
	string(APPEND lines "doc ${CMAKE_INSTALL_DOCDIR}/README.md\n"
		"doc ${CMAKE_INSTALL_DOCDIR}/architecture.md\n")
	file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/install-expected.txt CONTENT "${lines}")
endfunction()

# Writes ${PROJECT_BINARY_DIR}/feedcap-tools.txt: "NAME PATH" for every executable target of
# the tree, so scripts (scripts/demo, bench/run, tests/data/regenerate) find a tool wherever
# its folder builds it, and know when it is not built.
function(feedcap_tools_list)
	set(lines "")
	_feedcap_collect_targets(${PROJECT_SOURCE_DIR} targets)
	foreach(t ${targets})
		get_target_property(type ${t} TYPE)
		if(type STREQUAL "EXECUTABLE")
			string(APPEND lines "${t} $<TARGET_FILE:${t}>\n")
		endif()
	endforeach()
	file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/feedcap-tools.txt CONTENT "${lines}")
endfunction()
