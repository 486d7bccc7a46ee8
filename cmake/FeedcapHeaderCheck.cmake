# Every public header compiles on its own (DPDK's check_includes, as a build step).
#
# For each product folder, every *.h that is not *_internal.h is compiled alone, twice in one
# translation unit (the include guard must work), with the folder's libraries linked for their
# include directories and dependencies, under feedcap_warnings (-Werror in CI).  A header that
# needs another include first fails the build, naming itself.
option(FEEDCAP_CHECK_HEADERS "Compile every public header on its own" ON)

function(feedcap_header_checks)
	if(NOT FEEDCAP_CHECK_HEADERS)
		return()
	endif()
	foreach(folder ${ARGN})
		set(dir ${PROJECT_SOURCE_DIR}/${folder})
		if(NOT EXISTS ${dir})
			continue()
		endif()
		get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
		set(libs "")
		foreach(t ${targets})
			get_target_property(type ${t} TYPE)
			if(type MATCHES "^(STATIC|SHARED|OBJECT|INTERFACE)_LIBRARY$"
					AND NOT t MATCHES "header_check")
				list(APPEND libs ${t})
			endif()
		endforeach()
		file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${dir} ${dir}/*.h)
		list(FILTER headers EXCLUDE REGEX "_internal\\.h$")
		if(NOT headers OR NOT libs)
			continue()
		endif()
		set(srcs "")
		foreach(h ${headers})
			string(REPLACE ".h" "" base ${h})
			set(src ${PROJECT_BINARY_DIR}/header-check/${folder}/${base}.c)
			file(CONFIGURE OUTPUT ${src} CONTENT
				"/* generated: ${folder}/${h} must compile on its own */\n#include \"${h}\"\n#include \"${h}\"\n")
			list(APPEND srcs ${src})
		endforeach()
		add_library(feedcap_header_check_${folder} OBJECT ${srcs})
		target_include_directories(feedcap_header_check_${folder} PRIVATE ${dir})
		target_link_libraries(feedcap_header_check_${folder} PRIVATE ${libs} feedcap_warnings)
	endforeach()
endfunction()
