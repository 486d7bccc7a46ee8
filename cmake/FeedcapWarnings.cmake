# feedcap_warnings: the warning set every target in the tree links, plus -Werror and the
# sanitizers when asked for.  Interface targets only: no global CMAKE_C_FLAGS.
add_library(feedcap_warnings INTERFACE)
target_compile_options(feedcap_warnings INTERFACE
	-Wall -Wextra -Wshadow -Wundef -Wcast-qual -Wstrict-prototypes)
if(FEEDCAP_WERROR)
	target_compile_options(feedcap_warnings INTERFACE -Werror)
endif()
if(FEEDCAP_SANITIZE)
	target_compile_options(feedcap_warnings INTERFACE
		-fsanitize=${FEEDCAP_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
	target_link_options(feedcap_warnings INTERFACE -fsanitize=${FEEDCAP_SANITIZE})
endif()
