# tests/errors_catalogue.cmake - checks docs/errors.md (the misuse catalogue) against the tests
# that exist. Run by ctest as docs.errors_catalogue:
#
#   cmake -DCATALOGUE=<docs/errors.md> -DGTEST_EXECUTABLES=<exe;exe;...> -DCTEST=<ctest>
#         -DBUILD_DIR=<build tree> [-DUNBUILT=<prefix;...>] -P errors_catalogue.cmake
#
# Every table row (a line starting with "|", other than a header row and its separator) must name
# at least one test in its last column, each in backticks. Each name must be a test that runs:
# a GoogleTest test (suite.name, as --gtest_list_tests of the test executables prints it) or any
# other ctest test (c.*, example.*, torture.*: as ctest -N lists them). A DISABLED_ test never
# runs, so it cannot be the passing test of a row. Since ctest also runs every one of them,
# "this passes and the suite is green" means "every row of the catalogue has a passing test".
# UNBUILT lists name prefixes of tests this configuration does not build (example. without
# CMWQ_BUILD_EXAMPLES): those names are reported, not counted as missing.
foreach(var CATALOGUE GTEST_EXECUTABLES CTEST BUILD_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "errors_catalogue.cmake: pass -D${var}=...")
  endif()
endforeach()

# Splits `text` into a list of lines. ';' and square brackets would split or join CMake list
# elements, so they are replaced first (no test name contains them).
function(split_lines text out)
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "[" "(" text "${text}")
  string(REPLACE "]" ")" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

# --- the tests that exist -------------------------------------------------------------------------
set(known)
foreach(exe IN LISTS GTEST_EXECUTABLES)
  execute_process(COMMAND ${exe} --gtest_list_tests RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 60)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${exe} --gtest_list_tests failed (${rc}): ${err}")
  endif()
  split_lines("${out}" lines)
  set(suite "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^([A-Za-z0-9_/]+)\\.$")
      set(suite "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^  ([A-Za-z0-9_/]+)" AND suite)
      list(APPEND known "${suite}.${CMAKE_MATCH_1}")
    endif()
  endforeach()
endforeach()

execute_process(COMMAND ${CTEST} --test-dir ${BUILD_DIR} -N RESULT_VARIABLE rc OUTPUT_VARIABLE out TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctest -N failed (${rc})")
endif()
split_lines("${out}" lines)
foreach(line IN LISTS lines)
  if(line MATCHES "Test +#[0-9]+: ([^ ]+)")
    list(APPEND known "${CMAKE_MATCH_1}")
  endif()
endforeach()

# A regular expression that matches no test name unless UNBUILT names prefixes.
set(unbuilt_regex "^$")
foreach(prefix IN LISTS UNBUILT)
  string(REPLACE "." "\\." prefix "${prefix}")
  string(APPEND unbuilt_regex "|^${prefix}")
endforeach()

# --- the rows of the catalogue --------------------------------------------------------------------
set(problems)
set(nrows 0)
set(named)

# Checks one table row: its last cell must name tests that exist. Adds to `problems`, `named`
# and `nrows` of the caller.
function(check_row row)
  math(EXPR n "${nrows} + 1")
  set(nrows ${n} PARENT_SCOPE)
  set(cell "")
  if(row MATCHES "\\|([^|]*)\\|[ \t]*$")
    set(cell "${CMAKE_MATCH_1}")
  endif()
  string(REGEX MATCHALL "`[^`]+`" quoted "${cell}")
  if(NOT quoted)
    list(APPEND problems "row names no test: ${row}")
  endif()
  foreach(q IN LISTS quoted)
    string(REPLACE "`" "" name "${q}")
    list(APPEND named "${name}")
    list(FIND known "${name}" at)
    if(name MATCHES "(^|\\.)DISABLED_")
      list(APPEND problems "disabled test (it never runs): ${name}")
    elseif(at EQUAL -1 AND NOT name MATCHES "${unbuilt_regex}")
      list(APPEND problems "no such test: ${name}")
    elseif(at EQUAL -1)
      message(STATUS "not built in this configuration: ${name}")
    endif()
  endforeach()
  set(problems "${problems}" PARENT_SCOPE)
  set(named "${named}" PARENT_SCOPE)
endfunction()

file(READ "${CATALOGUE}" text)
split_lines("${text}" lines)
set(pending "")  # a table row not yet checked: it is a header if a separator follows
foreach(line IN LISTS lines)
  if(line MATCHES "^\\|[-:| ]+\\|?[ \t]*$")
    set(pending "")
  elseif(line MATCHES "^\\|")
    if(pending)
      check_row("${pending}")
    endif()
    set(pending "${line}")
  else()
    if(pending)
      check_row("${pending}")
    endif()
    set(pending "")
  endif()
endforeach()
if(pending)
  check_row("${pending}")
endif()

list(REMOVE_DUPLICATES named)
list(LENGTH named ntests)
if(nrows EQUAL 0)
  list(APPEND problems "no table rows found in ${CATALOGUE}")
endif()
if(problems)
  list(JOIN problems "\n  " report)
  message(FATAL_ERROR "${CATALOGUE}: ${nrows} rows, ${ntests} tests named; problems:\n  ${report}")
endif()
message(STATUS "${CATALOGUE}: ${nrows} rows, ${ntests} distinct tests, none missing")
