# Third-party dependencies: Debian's libcjson-dev, libevent-dev and
# libcmocka-dev (vcpkg's cjson, libevent and cmocka on Windows).
# Each becomes an imported target dw_<name>; a missing one stops the
# configure with the name of the package that provides it.
find_package(PkgConfig QUIET)

function(dw_require target pcname cmakename debpkg)
	if(TARGET ${target})
		return()
	endif()
	if(PKG_CONFIG_FOUND)
		pkg_check_modules(DWPC_${target} QUIET IMPORTED_TARGET ${pcname})
		if(DWPC_${target}_FOUND)
			add_library(${target} INTERFACE IMPORTED GLOBAL)
			target_link_libraries(${target} INTERFACE PkgConfig::DWPC_${target})
			return()
		endif()
	endif()
	find_package(${cmakename} CONFIG QUIET)
	if(${cmakename}_FOUND)
		add_library(${target} INTERFACE IMPORTED GLOBAL)
		target_link_libraries(${target} INTERFACE ${ARGN})
		return()
	endif()
	message(FATAL_ERROR
		"dnswatchdog needs ${pcname}, which was not found. "
		"On Debian or Ubuntu install it with: apt-get install ${debpkg} "
		"(or run 'make deps'). With vcpkg: vcpkg install ${cmakename}.")
endfunction()

dw_require(dw_cjson libcjson cJSON libcjson-dev cjson)
if(WIN32)
	# Linked statically: no dllimport/dllexport decorations.
	target_compile_definitions(dw_cjson INTERFACE CJSON_HIDE_SYMBOLS)
endif()
dw_require(dw_event libevent_core libevent libevent-dev libevent::core)
if(WIN32)
	# A static libevent needs Winsock and the IP Helper after it.
	target_link_libraries(dw_event INTERFACE ws2_32 iphlpapi)
else()
	# evthread_use_pthreads, for loop_wake from other threads.
	dw_require(dw_event_pthreads libevent_pthreads libevent libevent-dev
		libevent::pthreads)
	target_link_libraries(dw_event INTERFACE dw_event_pthreads)
endif()
# sd-bus, for the systemd-resolved backend (docs/decisions/0012).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND DW_RESOLVED)
	dw_require(dw_systemd libsystemd libsystemd libsystemd-dev
		systemd::systemd)
endif()
if(DW_BUILD_TESTS)
	dw_require(dw_cmocka cmocka cmocka libcmocka-dev cmocka::cmocka)
endif()

# MSVC has no getopt_long; vcpkg's "getopt" port provides it.
if(MSVC)
	find_path(DW_GETOPT_INCLUDE getopt.h REQUIRED)
	find_library(DW_GETOPT_LIB NAMES getopt REQUIRED)
	add_library(dw_getopt INTERFACE IMPORTED GLOBAL)
	target_include_directories(dw_getopt INTERFACE ${DW_GETOPT_INCLUDE})
	target_link_libraries(dw_getopt INTERFACE ${DW_GETOPT_LIB})
endif()
