# tests/consumer/run.cmake - the driver of ctest's consumer.find_package (cmake -P; see register.cmake).
#
#  1. cmake --install <build> --prefix <work>/prefix
#  2. check the layout: include/cmwq/cmwq.hpp, include/cmwq/kcompat/linux/workqueue.h, no include/linux
#  3. configure, build and run tests/consumer (find_package(cmwq)): consumer_cxx and consumer_c
#  4. configure, build and run tests/consumer/modules, a C-only project (project(x C)): every
#     module in CMWQ_MODULES_DIR (examples/modules/*.c) linked with cmwq::kmod_main
#  5. compile consumer.c with `cc -std=gnu11 $(pkg-config --cflags --libs cmwq-kcompat)` and
#     consumer.cpp with `c++ -std=c++20 $(pkg-config --cflags --libs cmwq)`, and each module with
#     `cc -std=gnu11 $(pkg-config --cflags --libs cmwq-kmod)`, and run them all
cmake_minimum_required(VERSION 3.25)

foreach(v IN ITEMS CMWQ_BUILD_DIR CMWQ_CONSUMER_SOURCE_DIR CMWQ_WORK_DIR CMWQ_GENERATOR
                   CMWQ_C_COMPILER CMWQ_CXX_COMPILER CMWQ_MODULES_DIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${v}=... is required")
  endif()
endforeach()
if(NOT CMWQ_INSTALL_LIBDIR)
  set(CMWQ_INSTALL_LIBDIR lib)
endif()

set(prefix "${CMWQ_WORK_DIR}/prefix")
set(bin "${CMWQ_WORK_DIR}/build")
set(pcbin "${CMWQ_WORK_DIR}/pkg-config")
set(modbin "${CMWQ_WORK_DIR}/modules")

# run(<what> COMMAND ...): run a command, echo it, fail the test with its output if it fails.
function(run what)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_VARIABLE" "COMMAND")
  list(JOIN arg_COMMAND " " shown)
  message(STATUS "${what}: ${shown}")
  execute_process(COMMAND ${arg_COMMAND}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 300)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  if(arg_OUTPUT_VARIABLE)
    set(${arg_OUTPUT_VARIABLE} "${out}" PARENT_SCOPE)
  endif()
endfunction()

# run_program(<exe> <expected substring>): the consumer programs must exit 0 and say something.
function(run_program exe expect)
  run("run ${exe}" COMMAND "${exe}" OUTPUT_VARIABLE out)
  string(STRIP "${out}" out)
  message(STATUS "  ${out}")
  string(FIND "${out}" "${expect}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${exe} exited 0 but did not print \"${expect}\":\n${out}")
  endif()
endfunction()

# run_module(<exe>): a kernel-style module run by the installed runner: loads, runs, unloads with
# exit status 0 and no WARNING (the runner's leak checks make a leak fail it too).
function(run_module exe)
  run("run module ${exe}" COMMAND "${exe}" --report OUTPUT_VARIABLE out)
  if(out MATCHES "WARNING:")
    message(FATAL_ERROR "${exe} printed a WARNING:\n${out}")
  endif()
  message(STATUS "  ok")
endfunction()

file(REMOVE_RECURSE "${CMWQ_WORK_DIR}")
file(MAKE_DIRECTORY "${CMWQ_WORK_DIR}" "${pcbin}")

# --- 1. install -----------------------------------------------------------------------------------
set(config_args)
if(CMWQ_CONFIG)
  set(config_args --config "${CMWQ_CONFIG}")
endif()
run("install" COMMAND "${CMAKE_COMMAND}" --install "${CMWQ_BUILD_DIR}" --prefix "${prefix}" ${config_args})

# --- 2. layout ------------------------------------------------------------------------------------
foreach(f IN ITEMS
    include/cmwq/cmwq.hpp
    include/cmwq/kcompat/linux/workqueue.h
    ${CMWQ_INSTALL_LIBDIR}/libcmwq.a
    ${CMWQ_INSTALL_LIBDIR}/libcmwq_kcompat.a
    ${CMWQ_INSTALL_LIBDIR}/libcmwq_kmod_main.a
    ${CMWQ_INSTALL_LIBDIR}/pkgconfig/cmwq-kmod.pc
    ${CMWQ_INSTALL_LIBDIR}/cmake/cmwq/cmwqConfig.cmake
    ${CMWQ_INSTALL_LIBDIR}/cmake/cmwq/cmwqConfigVersion.cmake
    ${CMWQ_INSTALL_LIBDIR}/cmake/cmwq/cmwqTargets.cmake
    ${CMWQ_INSTALL_LIBDIR}/pkgconfig/cmwq.pc
    ${CMWQ_INSTALL_LIBDIR}/pkgconfig/cmwq-kcompat.pc)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "installed tree lacks ${f}")
  endif()
endforeach()
if(EXISTS "${prefix}/include/linux")
  message(FATAL_ERROR "kernel-style headers were installed to include/linux, where they would shadow "
                      "the system's <linux/*.h>; they belong in include/cmwq/kcompat/linux")
endif()

# --- 3. find_package ------------------------------------------------------------------------------
set(build_type_arg)
if(CMWQ_CONFIG)
  set(build_type_arg "-DCMAKE_BUILD_TYPE=${CMWQ_CONFIG}")
endif()
run("configure consumer" COMMAND "${CMAKE_COMMAND}"
  -S "${CMWQ_CONSUMER_SOURCE_DIR}" -B "${bin}" -G "${CMWQ_GENERATOR}" ${build_type_arg}
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DCMWQ_EXPECTED_DIR=${prefix}/${CMWQ_INSTALL_LIBDIR}/cmake/cmwq"
  "-DCMAKE_C_COMPILER=${CMWQ_C_COMPILER}"
  "-DCMAKE_CXX_COMPILER=${CMWQ_CXX_COMPILER}"
  "-DCMAKE_C_FLAGS=${CMWQ_COMPILE_OPTIONS}"
  "-DCMAKE_CXX_FLAGS=${CMWQ_COMPILE_OPTIONS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${CMWQ_LINK_OPTIONS}")
run("build consumer" COMMAND "${CMAKE_COMMAND}" --build "${bin}" ${config_args})

set(exe_dir "${bin}")
if(CMWQ_CONFIG AND EXISTS "${bin}/${CMWQ_CONFIG}/consumer_cxx")  # multi-config generators
  set(exe_dir "${bin}/${CMWQ_CONFIG}")
endif()
run_program("${exe_dir}/consumer_cxx" "consumer_cxx:")
run_program("${exe_dir}/consumer_c" "consumer_c:")

# --- 4. a C-only project builds and runs kernel-style modules -----------------------------------
# As in step 5: clang's C driver needs the sanitizers' C++ runtime parts named (gcc links them).
# Those parts need libstdc++ themselves, and CMake's compiler check links a bare C program with
# these flags before any cmwq target can bring it, so name libstdc++ here too.
set(modules_link_flags "${CMWQ_LINK_OPTIONS}")
if(modules_link_flags MATCHES "-fsanitize=" AND CMWQ_C_COMPILER_ID MATCHES "Clang")
  string(APPEND modules_link_flags " -fsanitize-link-c++-runtime -lstdc++")
endif()
run("configure modules" COMMAND "${CMAKE_COMMAND}"
  -S "${CMWQ_CONSUMER_SOURCE_DIR}/modules" -B "${modbin}" -G "${CMWQ_GENERATOR}" ${build_type_arg}
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DCMWQ_MODULES_DIR=${CMWQ_MODULES_DIR}"
  "-DCMAKE_C_COMPILER=${CMWQ_C_COMPILER}"
  "-DCMAKE_C_FLAGS=${CMWQ_COMPILE_OPTIONS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${modules_link_flags}")
run("build modules" COMMAND "${CMAKE_COMMAND}" --build "${modbin}" ${config_args})
file(READ "${modbin}/modules.txt" module_names)
foreach(m IN LISTS module_names)
  set(exe "${modbin}/${m}")
  if(CMWQ_CONFIG AND EXISTS "${modbin}/${CMWQ_CONFIG}/${m}")
    set(exe "${modbin}/${CMWQ_CONFIG}/${m}")
  endif()
  run_module("${exe}")
endforeach()

# --- 5. pkg-config --------------------------------------------------------------------------------
if(NOT CMWQ_PKG_CONFIG)
  message(WARNING "pkg-config not found: the pkg-config part of this test was skipped "
                  "(scripts/setup-deps.sh installs it)")
  return()
endif()
set(ENV{PKG_CONFIG_PATH} "${prefix}/${CMWQ_INSTALL_LIBDIR}/pkgconfig")
run("pkg-config" COMMAND "${CMWQ_PKG_CONFIG}" --cflags --libs cmwq-kcompat OUTPUT_VARIABLE pc_c)
run("pkg-config" COMMAND "${CMWQ_PKG_CONFIG}" --cflags --libs cmwq OUTPUT_VARIABLE pc_cxx)
run("pkg-config" COMMAND "${CMWQ_PKG_CONFIG}" --modversion cmwq OUTPUT_VARIABLE pc_version)
string(STRIP "${pc_version}" pc_version)
message(STATUS "  cmwq.pc version ${pc_version}")
string(FIND "${pc_c}" "${prefix}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "cmwq-kcompat.pc does not point into the install prefix ${prefix}: ${pc_c}")
endif()
separate_arguments(pc_c UNIX_COMMAND "${pc_c}")
separate_arguments(pc_cxx UNIX_COMMAND "${pc_cxx}")
separate_arguments(copts UNIX_COMMAND "${CMWQ_COMPILE_OPTIONS}")
separate_arguments(lopts UNIX_COMMAND "${CMWQ_LINK_OPTIONS}")
# A C program that links an instrumented C++ library through clang's C driver needs the sanitizers'
# C++ runtime parts too (UBSan's vptr checks); gcc links them anyway.
if(lopts MATCHES "-fsanitize=" AND CMWQ_C_COMPILER_ID MATCHES "Clang")
  list(APPEND lopts -fsanitize-link-c++-runtime)
endif()

run("cc + pkg-config" COMMAND "${CMWQ_C_COMPILER}" -std=gnu11 ${copts}
  "${CMWQ_CONSUMER_SOURCE_DIR}/consumer.c" ${pc_c} ${lopts} -o "${pcbin}/consumer_c")
run_program("${pcbin}/consumer_c" "consumer_c:")
run("c++ + pkg-config" COMMAND "${CMWQ_CXX_COMPILER}" -std=c++20 ${copts}
  "${CMWQ_CONSUMER_SOURCE_DIR}/consumer.cpp" ${pc_cxx} ${lopts} -o "${pcbin}/consumer_cxx")
run_program("${pcbin}/consumer_cxx" "consumer_cxx:")

run("pkg-config" COMMAND "${CMWQ_PKG_CONFIG}" --cflags --libs cmwq-kmod OUTPUT_VARIABLE pc_kmod)
separate_arguments(pc_kmod UNIX_COMMAND "${pc_kmod}")
file(GLOB module_sources "${CMWQ_MODULES_DIR}/*.c")
foreach(src IN LISTS module_sources)
  get_filename_component(m "${src}" NAME_WE)
  run("cc + pkg-config cmwq-kmod" COMMAND "${CMWQ_C_COMPILER}" -std=gnu11 ${copts}
    "-DKBUILD_MODNAME=\"${m}\"" "${src}" ${pc_kmod} ${lopts} -o "${pcbin}/${m}")
  run_module("${pcbin}/${m}")
endforeach()

message(STATUS "consumer.find_package: find_package(cmwq) and pkg-config consumers and modules built and ran")
