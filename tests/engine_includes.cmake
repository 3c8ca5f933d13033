# tests/engine_includes.cmake - the front doors reach the engine only through its public headers.
# Run by ctest as docs.engine_includes:
#
#   cmake -DSOURCE_DIR=<repository root> -P engine_includes.cmake
#
# docs/engine.md lists which headers of src/core/ are public to the doors (src/cxx/, src/kcompat/,
# src/kmod/): the engine interface (engine.hpp and the item headers it includes) and the shared
# services. Every other core header is private to the core. This fails, naming the file and the
# header, when a door includes a private core header, or when a public header includes one (a
# door would reach it through the public header).
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST)
if(NOT DEFINED SOURCE_DIR)
  message(FATAL_ERROR "engine_includes.cmake: pass -DSOURCE_DIR=...")
endif()

# Keep in step with the table of docs/engine.md.
set(public_headers
  engine.hpp work.hpp delayed_work.hpp            # the engine interface
  attrs.hpp wq_sysfs.hpp cm_observer.hpp observe.hpp timeline.hpp  # the engine's reports and attributes
  context.hpp control_json.hpp control_server.hpp fault.hpp futex.hpp guards.hpp list.hpp lock.hpp
  runtime.hpp timer_wheel.hpp topology.hpp warn.hpp)  # shared services

set(failures "")
# Appends "FILE includes private core header HEADER" for each quoted include of a private header.
# `style`: "door" matches "core/x.hpp", "core" matches "x.hpp" (a core header's own includes).
function(check_file file style)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    if(style STREQUAL "door")
      if(NOT line MATCHES "\"(\\.\\./)*core/([A-Za-z0-9_]+\\.hpp)\"")
        continue()
      endif()
      set(header "${CMAKE_MATCH_2}")
    else()
      if(NOT line MATCHES "\"([A-Za-z0-9_]+\\.hpp)\"")
        continue()
      endif()
      set(header "${CMAKE_MATCH_1}")
    endif()
    if(NOT header IN_LIST public_headers)
      file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
      set(failures "${failures}  ${rel} includes private core header ${header}\n" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

file(GLOB_RECURSE door_files LIST_DIRECTORIES false
  "${SOURCE_DIR}/src/cxx/*" "${SOURCE_DIR}/src/kcompat/*" "${SOURCE_DIR}/src/kmod/*")
list(FILTER door_files INCLUDE REGEX "\\.(c|cc|cpp|h|hpp)$")
if(NOT door_files)
  message(FATAL_ERROR "engine_includes.cmake: no door sources under ${SOURCE_DIR}/src")
endif()
foreach(f IN LISTS door_files)
  check_file("${f}" door)
endforeach()
foreach(h IN LISTS public_headers)
  if(NOT EXISTS "${SOURCE_DIR}/src/core/${h}")
    set(failures "${failures}  src/core/${h} is listed as public but does not exist\n")
    continue()
  endif()
  check_file("${SOURCE_DIR}/src/core/${h}" core)
endforeach()

if(failures)
  message(FATAL_ERROR "The front doors must use the engine's public headers (docs/engine.md):\n${failures}")
endif()
list(LENGTH door_files n)
message(STATUS "engine_includes: ${n} door files include only public core headers")
