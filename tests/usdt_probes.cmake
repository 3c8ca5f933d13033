# tests/usdt_probes.cmake - checks that the library carries the four USDT probes of
# src/core/tracepoints.hpp, so that bpftrace/perf can attach to them. Run by ctest as
# observe.usdt_probes:
#
#   cmake -DLIB=<libcmwq.a or .so> -P usdt_probes.cmake
#
# Each probe is an ELF note of type stapsdt (readelf -n prints "Provider: cmwq" and
# "Name: <probe>") with a semaphore address. Without readelf (binutils) the test is skipped
# (exit 77, ctest's SKIP_RETURN_CODE) with a message saying so.
if(NOT DEFINED LIB)
  message(FATAL_ERROR "usdt_probes.cmake: pass -DLIB=<library>")
endif()
find_program(READELF NAMES readelf)
if(NOT READELF)
  message("SKIPPED: readelf (binutils) not found; cannot list the USDT probes of ${LIB}")
  cmake_language(EXIT 77)
endif()
execute_process(COMMAND ${READELF} -n ${LIB} RESULT_VARIABLE rc OUTPUT_VARIABLE notes ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -n ${LIB} failed (${rc}): ${err}")
endif()
set(missing)
foreach(probe workqueue_queue_work workqueue_activate_work workqueue_execute_start workqueue_execute_end)
  # Provider line, then the probe's name, then a non-zero semaphore address.
  if(NOT notes MATCHES "Provider: cmwq[\r\n]+[ \t]*Name: ${probe}[\r\n]+[ \t]*Location: 0x[0-9a-f]+, Base: 0x[0-9a-f]+, Semaphore: 0x[0-9a-f]+")
    list(APPEND missing ${probe})
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "USDT probes missing from ${LIB}: ${missing}\nreadelf -n said:\n${notes}")
endif()
message("all four cmwq USDT probes are in ${LIB}")
