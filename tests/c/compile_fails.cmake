# tests/c/compile_fails.cmake - ctest driver for a C file that must not compile.
#
#   cmake -DCC=<compiler> -DSRC=<file.c> -DINCLUDE=<kcompat/include> -DEXPECT=<regex> -P compile_fails.cmake
#
# Passes when `cc -std=gnu11 -fsyntax-only` rejects SRC and its diagnostics match EXPECT: the
# documented limit stays a clear compile error rather than becoming something subtler.
foreach(v CC SRC INCLUDE EXPECT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "compile_fails.cmake: pass -D${v}=...")
  endif()
endforeach()
execute_process(COMMAND "${CC}" -std=gnu11 -fsyntax-only "-I${INCLUDE}" "${SRC}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 60)
message("${out}")
if(rc EQUAL 0)
  message(FATAL_ERROR "${SRC} compiled; it must not")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "the compiler's message does not match '${EXPECT}'")
endif()
