# Compiler discipline shared by every target (link dw_warnings).
add_library(dw_warnings INTERFACE)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
	target_compile_options(dw_warnings INTERFACE
		-Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow
		-Wpointer-arith -Wsign-compare -Wformat=2 -Wvla)
	if(DW_WERROR)
		target_compile_options(dw_warnings INTERFACE -Werror)
	endif()
	if(DW_SANITIZE)
		target_compile_options(dw_warnings INTERFACE
			-fsanitize=address,undefined -fno-sanitize-recover=all
			-fno-omit-frame-pointer)
		target_link_options(dw_warnings INTERFACE -fsanitize=address,undefined)
	endif()
elseif(MSVC)
	target_compile_options(dw_warnings INTERFACE /W4)
	if(DW_WERROR)
		target_compile_options(dw_warnings INTERFACE /WX)
	endif()
endif()
