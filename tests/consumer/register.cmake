# tests/consumer/register.cmake - registers the ctest test consumer.find_package.
# Included at the end of tests/CMakeLists.txt. The test installs this build tree into a scratch
# prefix, then configures, builds and runs tests/consumer/ against it with find_package(cmwq), and
# compiles the same programs once more with a direct compiler call and pkg-config's flags.
#
# The consumer is built with this build's compilers and the top-level directory's compile and link
# options and definitions (warnings, -Werror, sanitizers), so a sanitizer build links and a warning in an installed
# header fails the test. Generator expressions among those options are dropped.

get_directory_property(_cmwq_copts DIRECTORY "${PROJECT_SOURCE_DIR}" COMPILE_OPTIONS)
get_directory_property(_cmwq_lopts DIRECTORY "${PROJECT_SOURCE_DIR}" LINK_OPTIONS)
get_directory_property(_cmwq_defs DIRECTORY "${PROJECT_SOURCE_DIR}" COMPILE_DEFINITIONS)
list(TRANSFORM _cmwq_defs PREPEND "-D")
list(APPEND _cmwq_copts ${_cmwq_defs})
list(FILTER _cmwq_copts EXCLUDE REGEX "\\$<")
list(FILTER _cmwq_lopts EXCLUDE REGEX "\\$<")
list(JOIN _cmwq_copts " " _cmwq_copts)
list(JOIN _cmwq_lopts " " _cmwq_lopts)
find_program(CMWQ_PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
mark_as_advanced(CMWQ_PKG_CONFIG_EXECUTABLE)

add_test(NAME consumer.find_package
  COMMAND "${CMAKE_COMMAND}"
    "-DCMWQ_BUILD_DIR=${PROJECT_BINARY_DIR}"
    "-DCMWQ_CONFIG=$<CONFIG>"
    "-DCMWQ_CONSUMER_SOURCE_DIR=${CMAKE_CURRENT_LIST_DIR}"
    "-DCMWQ_MODULES_DIR=${PROJECT_SOURCE_DIR}/examples/modules"
    "-DCMWQ_WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/consumer"
    "-DCMWQ_INSTALL_LIBDIR=${CMAKE_INSTALL_LIBDIR}"
    "-DCMWQ_GENERATOR=${CMAKE_GENERATOR}"
    "-DCMWQ_C_COMPILER=${CMAKE_C_COMPILER}"
    "-DCMWQ_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
    "-DCMWQ_C_COMPILER_ID=${CMAKE_C_COMPILER_ID}"
    "-DCMWQ_COMPILE_OPTIONS=${_cmwq_copts}"
    "-DCMWQ_LINK_OPTIONS=${_cmwq_lopts}"
    "-DCMWQ_PKG_CONFIG=${CMWQ_PKG_CONFIG_EXECUTABLE}"
    -P "${CMAKE_CURRENT_LIST_DIR}/run.cmake")
set_tests_properties(consumer.find_package PROPERTIES TIMEOUT 600 LABELS consumer)
unset(_cmwq_copts)
unset(_cmwq_lopts)
unset(_cmwq_defs)
