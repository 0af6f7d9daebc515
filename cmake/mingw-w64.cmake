# Cross-compiling for 64-bit Windows with Debian's MinGW-w64; tests run
# through Wine. Dependencies come from .deps/mingw (scripts/mingw-deps.sh).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(DW_MINGW_HOST x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${DW_MINGW_HOST}-gcc)
set(CMAKE_RC_COMPILER ${DW_MINGW_HOST}-windres)

get_filename_component(DW_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(DW_MINGW_PREFIX "${DW_SOURCE_ROOT}/.deps/mingw" CACHE PATH
	"Where the cross-built libevent, cJSON and cmocka live")
set(CMAKE_FIND_ROOT_PATH /usr/${DW_MINGW_HOST} ${DW_MINGW_PREFIX})
set(CMAKE_PREFIX_PATH ${DW_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config must see only the cross-built .pc files.
set(ENV{PKG_CONFIG_LIBDIR} "${DW_MINGW_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Debian's wine64 keeps its launcher in /usr/lib/wine.
find_program(DW_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(DW_WINE)
	set(CMAKE_CROSSCOMPILING_EMULATOR ${DW_WINE})
endif()
