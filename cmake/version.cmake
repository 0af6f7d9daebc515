# DW_VERSION: what `dnswatchdog version` prints. `git describe --tags
# --always --dirty` when the source is a git checkout; a bare commit name
# (no tag yet) is put after PROJECT_VERSION so the string still starts
# with a version number. Outside a checkout: PROJECT_VERSION.
set(DW_VERSION "${PROJECT_VERSION}")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
	execute_process(COMMAND ${GIT_EXECUTABLE} describe --tags --always --dirty
		WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
		OUTPUT_VARIABLE DW_GIT_DESCRIBE
		OUTPUT_STRIP_TRAILING_WHITESPACE
		RESULT_VARIABLE DW_GIT_RESULT
		ERROR_QUIET)
	if(DW_GIT_RESULT EQUAL 0 AND NOT DW_GIT_DESCRIBE STREQUAL "")
		if(DW_GIT_DESCRIBE MATCHES "^v?[0-9]+\\.[0-9]+")
			string(REGEX REPLACE "^v" "" DW_VERSION "${DW_GIT_DESCRIBE}")
		else()
			set(DW_VERSION "${PROJECT_VERSION}+g${DW_GIT_DESCRIBE}")
		endif()
	endif()
endif()
message(STATUS "dnswatchdog version: ${DW_VERSION}")
