# Windows-only tests, run under Wine against the real Wine registry and
# real file share modes.
set(WT "${CMAKE_CURRENT_SOURCE_DIR}/win")

dw_unit_test(test_hostsfile_win ${WT}/test_hostsfile_win.c ${HOSTSFILE}
	${PLATFORM} ${W}/hostsjob.c ${E}/trace.c ${P}/backoff.c ${P}/journal.c ${P}/dwerr.c
	${P}/dwstr.c)
# The writer's test seam (hostsfile_hook): this test's copy only.
target_compile_definitions(test_hostsfile_win PRIVATE DW_HOSTSFILE_HOOKS)
dw_unit_test(test_nrpt_store_win ${WT}/test_nrpt_store_win.c
	${W}/nrpt_store_win.c ${W}/winutf.c ${P}/nrpt.c ${P}/dwerr.c ${P}/dwstr.c)

# Integration: the real dnswatchdog.exe under Wine.
dw_unit_test(test_cli_win ${WT}/test_cli_win.c ${WT}/winrun.c ${TESTUTIL})
target_compile_definitions(test_cli_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>")
add_dependencies(test_cli_win dnswatchdog)

# Crash consistency: the writer built with crash points, killed at each
# step of a write; then the real binary's next start.
add_executable(crashwrite ${WT}/crashwrite.c ${HOSTSFILE} ${PLATFORM}
	${P}/journal.c ${P}/dwerr.c ${P}/dwstr.c)
target_include_directories(crashwrite PRIVATE ${P} ${W})
target_compile_definitions(crashwrite PRIVATE DW_CRASH_HOOKS)
target_link_libraries(crashwrite PRIVATE dw_warnings advapi32 bcrypt)
dw_unit_test(test_crash_win ${WT}/test_crash_win.c ${WT}/winrun.c ${TESTUTIL})
target_compile_definitions(test_crash_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>"
	DW_CRASHWRITE="$<TARGET_FILE:crashwrite>")
add_dependencies(test_crash_win dnswatchdog crashwrite)

# Both change the NRPT tables of the one Wine registry: never at once.
set_tests_properties(test_nrpt_store_win test_cli_win PROPERTIES
	RESOURCE_LOCK wine_registry)

# The ETW sink through the real EventRegister/EventWriteTransfer (a seam
# records what reaches them), and a reconcile seen by both sinks.
dw_unit_test(test_etw_win ${WT}/test_etw_win.c ${TESTUTIL}
	${E}/trace_etw_win.c ${E}/tlg.c ${E}/trace.c ${E}/trace_jsonl.c
	${E}/trace_file_win.c
	${W}/reconcile.c ${W}/config.c ${W}/hostspass.c ${W}/hostsjob.c
	${HOSTSFILE} ${W}/nrptpass.c ${W}/nrpt_store_win.c ${W}/log.c ${PLATFORM}
	${P}/backoff.c ${P}/desired.c ${P}/dnsname.c ${P}/dwerr.c ${P}/dwstr.c
	${P}/hosts.c ${P}/journal.c ${P}/jsonv.c ${P}/nrpt.c)

# The named-pipe control channel.
dw_unit_test(test_control_win ${WT}/test_control_win.c ${W}/control_win.c
	${W}/loop.c ${W}/log.c ${PLATFORM} ${P}/dwerr.c ${P}/dwstr.c)
target_link_libraries(test_control_win PRIVATE dw_event)

# The Windows event sources: real registry and folder watches, and the IP
# Helper callbacks driven through their seam.
dw_unit_test(test_sources_win ${WT}/test_sources_win.c ${W}/sources_win.c
	${W}/sources.c ${W}/loop.c ${W}/log.c ${PLATFORM} ${P}/dwerr.c
	${P}/dwstr.c)
target_link_libraries(test_sources_win PRIVATE dw_event)
set_tests_properties(test_sources_win PROPERTIES RESOURCE_LOCK wine_registry)

# The service through Wine's service manager, and the ACL checks.
dw_unit_test(test_service_win ${WT}/test_service_win.c ${WT}/winrun.c
	${TESTUTIL} ${W}/service_win.c ${W}/acl_win.c ${W}/config.c
	${W}/daemon.c ${P}/coalesce.c ${W}/hostsjob.c ${W}/hostspass.c ${HOSTSFILE} ${W}/log.c
	${W}/loop.c ${W}/nrptpass.c ${W}/nrpt_store_win.c ${W}/reconcile.c
	${W}/sources.c ${W}/sources_win.c ${W}/control_win.c ${PLATFORM}
	${E}/tlg.c ${E}/trace.c ${E}/trace_jsonl.c ${E}/trace_file_win.c
	${E}/trace_etw_win.c
	${P}/backoff.c ${P}/desired.c ${P}/dnsname.c ${P}/dwerr.c ${P}/dwstr.c
	${P}/hosts.c ${P}/journal.c ${P}/jsonv.c ${P}/nrpt.c)
target_link_libraries(test_service_win PRIVATE dw_event)
target_compile_definitions(test_service_win PRIVATE
	DW_BINARY="$<TARGET_FILE:dnswatchdog>")
add_dependencies(test_service_win dnswatchdog)
set_tests_properties(test_service_win PROPERTIES RESOURCE_LOCK wine_registry)

# The Windows daemon end to end, in-process under Wine.
dw_unit_test(test_daemon_win ${WT}/test_daemon_win.c ${WT}/winrun.c
	${TESTUTIL} ${W}/service_win.c ${W}/acl_win.c ${W}/config.c
	${W}/daemon.c ${P}/coalesce.c ${W}/hostsjob.c ${W}/hostspass.c ${HOSTSFILE} ${W}/log.c
	${W}/loop.c ${W}/nrptpass.c ${W}/nrpt_store_win.c ${W}/reconcile.c
	${W}/sources.c ${W}/sources_win.c ${W}/control_win.c ${PLATFORM}
	${E}/tlg.c ${E}/trace.c ${E}/trace_jsonl.c ${E}/trace_file_win.c
	${E}/trace_etw_win.c
	${P}/backoff.c ${P}/desired.c ${P}/dnsname.c ${P}/dwerr.c ${P}/dwstr.c
	${P}/hosts.c ${P}/journal.c ${P}/jsonv.c ${P}/nrpt.c)
target_link_libraries(test_daemon_win PRIVATE dw_event)
set_tests_properties(test_daemon_win PROPERTIES RESOURCE_LOCK wine_registry)
