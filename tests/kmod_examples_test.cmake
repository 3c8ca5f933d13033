# tests/kmod_examples_test.cmake - run one kernel-style module and judge its outcome.
#
#   cmake -DCMD="<program>;<args...>" -DEXPECT=ok|warn|initfail|badparam [-DMATCH=<regex>]
#         -P kmod_examples_test.cmake
#
#   ok        exit status 0 and no WARNING line
#   warn      exit status 1 with at least one WARNING line (a driver bug that cmwq caught)
#   initfail  exit status 1 with "init failed" (module_init returned an error)
#   badparam  exit status 1 with "invalid for parameter" (the module was never loaded)
# MATCH, when given, is a regular expression the output must contain.
# In every case the program must end by itself: no signal, no sanitizer report, no timeout.
if(NOT DEFINED CMD OR NOT DEFINED EXPECT)
  message(FATAL_ERROR "kmod_examples_test.cmake: pass -DCMD=... and -DEXPECT=ok|warn|initfail")
endif()

execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100)
set(all "${out}\n${err}")
message("${all}")

if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "module did not exit normally: ${rc}")
endif()
foreach(bad "AddressSanitizer" "ThreadSanitizer" "LeakSanitizer" "runtime error:" "kernel BUG at")
  string(FIND "${all}" "${bad}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "found '${bad}' in the output")
  endif()
endforeach()
string(REGEX MATCHALL "WARNING:" warnings "${all}")
list(LENGTH warnings nwarn)

if(EXPECT STREQUAL "ok")
  if(NOT rc EQUAL 0 OR nwarn GREATER 0)
    message(FATAL_ERROR "expected a clean run: exit status ${rc}, ${nwarn} WARNING lines")
  endif()
elseif(EXPECT STREQUAL "warn")
  if(NOT rc EQUAL 1 OR nwarn EQUAL 0)
    message(FATAL_ERROR "expected exit status 1 with a WARNING: exit status ${rc}, ${nwarn} WARNING lines")
  endif()
elseif(EXPECT STREQUAL "initfail")
  string(FIND "${all}" "init failed" at)
  if(NOT rc EQUAL 1 OR at EQUAL -1)
    message(FATAL_ERROR "expected a failed init: exit status ${rc}")
  endif()
elseif(EXPECT STREQUAL "badparam")
  string(FIND "${all}" "invalid for parameter" at)
  if(NOT rc EQUAL 1 OR at EQUAL -1)
    message(FATAL_ERROR "expected a rejected parameter: exit status ${rc}")
  endif()
else()
  message(FATAL_ERROR "unknown EXPECT '${EXPECT}'")
endif()
if(DEFINED MATCH AND NOT all MATCHES "${MATCH}")
  message(FATAL_ERROR "the output does not match '${MATCH}'")
endif()
