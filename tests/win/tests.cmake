# Windows-only tests, run under Wine against the real Wine registry and
# real file share modes.
set(WT "${CMAKE_CURRENT_SOURCE_DIR}/win")

# The writer built with its test seam (hostsfile_hook): this test's copy,
# linked in place of the library's.
dw_unit_test(test_hostsfile_win dw_pass ${WT}/test_hostsfile_win.c
	${O}/hostsfile_win.c)
target_compile_definitions(test_hostsfile_win PRIVATE DW_HOSTSFILE_HOOKS)
dw_unit_test(test_nrpt_store_win dw_os ${WT}/test_nrpt_store_win.c)
# The follow store on the real registry (set up with reg.exe), and the
# atomic file write.
dw_unit_test(test_follow_store_win dw_os ${WT}/test_follow_store_win.c
	${WT}/winrun.c ${TESTUTIL})
set_tests_properties(test_follow_store_win PROPERTIES
	RESOURCE_LOCK wine_registry)

# Integration: the real dnswatchdog.exe under Wine.
dw_unit_test(test_cli_win dw_runtime ${WT}/test_cli_win.c ${WT}/winrun.c
	${TESTUTIL})
target_compile_definitions(test_cli_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>")
add_dependencies(test_cli_win dnswatchdog)

# Crash consistency: the writer built with crash points, killed at each
# step of a write; then the real binary's next start.
add_executable(crashwrite ${WT}/crashwrite.c ${O}/hostsfile_win.c)
target_compile_definitions(crashwrite PRIVATE DW_CRASH_HOOKS)
target_link_libraries(crashwrite PRIVATE dw_os dw_warnings)
dw_unit_test(test_crash_win dw_runtime ${WT}/test_crash_win.c ${WT}/winrun.c
	${TESTUTIL})
target_compile_definitions(test_crash_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>"
	DW_CRASHWRITE="$<TARGET_FILE:crashwrite>")
add_dependencies(test_crash_win dnswatchdog crashwrite)

# Both change the NRPT tables of the one Wine registry: never at once.
set_tests_properties(test_nrpt_store_win test_cli_win PROPERTIES
	RESOURCE_LOCK wine_registry)

# The ETW sink through the real EventRegister/EventWriteTransfer (a seam
# records what reaches them), and a reconcile seen by both sinks.
dw_unit_test(test_etw_win dw_runtime ${WT}/test_etw_win.c ${TESTUTIL})

# The named-pipe control channel.
dw_unit_test(test_control_win dw_runtime ${WT}/test_control_win.c)

# The Windows event sources: real registry and folder watches, and the IP
# Helper callbacks driven through their seam.
dw_unit_test(test_sources_win dw_runtime ${WT}/test_sources_win.c)
set_tests_properties(test_sources_win PROPERTIES RESOURCE_LOCK wine_registry)

# The service through Wine's service manager, and the ACL checks.
dw_unit_test(test_service_win dw_runtime ${WT}/test_service_win.c
	${WT}/winrun.c ${TESTUTIL})
target_compile_definitions(test_service_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>")
add_dependencies(test_service_win dnswatchdog)
set_tests_properties(test_service_win PROPERTIES RESOURCE_LOCK wine_registry)

# Follow mode with the real registry: a tunnel's rules and section
# learned, wiped and put back.
dw_unit_test(test_follow_win dw_runtime ${WT}/test_follow_win.c
	${WT}/winrun.c ${TESTUTIL})
set_tests_properties(test_follow_win PROPERTIES RESOURCE_LOCK wine_registry)

# The Windows daemon end to end, in-process under Wine.
dw_unit_test(test_daemon_win dw_runtime ${WT}/test_daemon_win.c
	${WT}/winrun.c ${TESTUTIL})
set_tests_properties(test_daemon_win PROPERTIES RESOURCE_LOCK wine_registry)

# Where the program finds its DLLs: the import table of dnswatchdog.exe
# and the run-time loads from System32, beside a planted dnsapi.dll (kept
# in a folder of its own, away from the test programs).
add_library(dw_plant_dnsapi SHARED ${WT}/plant_dnsapi.c)
set_target_properties(dw_plant_dnsapi PROPERTIES OUTPUT_NAME dnsapi PREFIX ""
	RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/plant)
dw_unit_test(test_winsys_win dw_os ${WT}/test_winsys_win.c ${WT}/winrun.c
	${TESTUTIL})
target_compile_definitions(test_winsys_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>"
	DW_PLANT_DLL="$<TARGET_FILE:dw_plant_dnsapi>")
add_dependencies(test_winsys_win dnswatchdog dw_plant_dnsapi)

# The NRPT part of doctor (the real dnswatchdog.exe on rules staged with
# reg.exe) and of verification (in this process, through the resolver's
# seam).
dw_unit_test(test_doctor_win dw_runtime ${WT}/test_doctor_win.c
	${WT}/winrun.c ${TESTUTIL})
target_compile_definitions(test_doctor_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>")
add_dependencies(test_doctor_win dnswatchdog)
set_tests_properties(test_doctor_win PROPERTIES RESOURCE_LOCK wine_registry)
