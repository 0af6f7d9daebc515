# Release artifacts and the install layout.
#
# DW_SPLIT_DEBUG (the release presets): after the link, the debug info
# goes to dnswatchdog[.exe].debug next to the program, the program is
# stripped and points at that file with a .gnu_debuglink section (gdb
# finds it there). The shipped program has no .debug_* sections.
if(DW_SPLIT_DEBUG)
	if(NOT CMAKE_OBJCOPY)
		message(FATAL_ERROR "DW_SPLIT_DEBUG needs objcopy (CMAKE_OBJCOPY)")
	endif()
	set(DW_EXE "$<TARGET_FILE:dnswatchdog>")
	add_custom_command(TARGET dnswatchdog POST_BUILD
		COMMAND ${CMAKE_OBJCOPY} --only-keep-debug ${DW_EXE} ${DW_EXE}.debug
		COMMAND ${CMAKE_OBJCOPY} --strip-all ${DW_EXE}
		COMMAND ${CMAKE_OBJCOPY} --add-gnu-debuglink=${DW_EXE}.debug ${DW_EXE}
		WORKING_DIRECTORY $<TARGET_FILE_DIR:dnswatchdog>
		COMMENT "Splitting the debug info into dnswatchdog.debug"
		VERBATIM)
endif()

# Linux layout (cmake --install build/release --prefix /usr): the
# program in sbin, the systemd unit, the config as a conffile in /etc,
# the docs and a commented example desired state in share/doc. The
# Windows layout is the MSI's (packaging/windows/dnswatchdog.wxs).
if(NOT WIN32)
	include(GNUInstallDirs)
	set(DW_SYSTEMD_UNITDIR "/lib/systemd/system" CACHE PATH
		"Where the systemd unit is installed")
	install(TARGETS dnswatchdog RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
	install(FILES packaging/dnswatchdog.service
		DESTINATION ${DW_SYSTEMD_UNITDIR})
	install(FILES packaging/linux/config.json
		DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/dnswatchdog)
	install(FILES packaging/linux/desired.example.jsonc README.md
		docs/install.md docs/config.md docs/desired-state.md
		DESTINATION ${CMAKE_INSTALL_DOCDIR})
endif()
