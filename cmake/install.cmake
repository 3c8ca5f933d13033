# cmake/install.cmake - install rules, the exported CMake package and the pkg-config files.
#
# Included from the top-level CMakeLists.txt after the cmwq and kcompat targets exist. Installs:
#   lib/libcmwq.a, lib/libcmwq_kcompat.a               both STATIC
#   lib/libcmwq_kmod_main.a                             main() for kernel-style modules (STATIC)
#   include/cmwq/*.hpp                                  the C++ API:   #include <cmwq/cmwq.hpp>
#   include/cmwq/kcompat/linux/*.h                      the C API:     #include <linux/workqueue.h>
#                                                       (kept out of include/ so that its linux/*.h
#                                                       never shadow the system's /usr/include/linux)
#   lib/cmake/cmwq/cmwq{Config,ConfigVersion,Targets}.cmake
#                                                       find_package(cmwq CONFIG) -> cmwq::cmwq,
#                                                       cmwq::kcompat, cmwq::kmod_main
#   lib/pkgconfig/cmwq.pc, cmwq-kcompat.pc, cmwq-kmod.pc
#                                                       pkg-config for C++ and C consumers, and for
#                                                       kernel-style modules run by kmod_main
#
# The .pc files are written at install time, so `cmake --install build --prefix /some/where` gets
# a prefix= line that names /some/where (not the CMAKE_INSTALL_PREFIX of configure time).
#
# If the engine grows a link dependency that consumers need (a library cmwq links, even PRIVATE,
# since it is a static library), add find_dependency() to cmwqConfig.cmake.in and the flag to
# CMWQ_PC_EXTRA_LIBS below; every target cmwq or kcompat links must be installed and exported too.

option(CMWQ_INSTALL "Generate install rules, the CMake package and the pkg-config files" ON)
if(NOT CMWQ_INSTALL)
  return()
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CMWQ_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/cmwq"
    CACHE STRING "Where cmwqConfig.cmake is installed, relative to the prefix")
set(CMWQ_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    CACHE STRING "Where cmwq.pc and cmwq-kcompat.pc are installed, relative to the prefix")
set(CMWQ_PC_EXTRA_LIBS "" CACHE STRING "Extra flags for the Libs: lines of cmwq.pc and cmwq-kcompat.pc")

# --- libraries and headers ----------------------------------------------------------------------
set(cmwq_installed_targets cmwq kcompat)
if(TARGET kmod_main)
  list(APPEND cmwq_installed_targets kmod_main)
endif()
install(TARGETS ${cmwq_installed_targets}
  EXPORT cmwqTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/cmwq/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/cmwq"
  FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/kcompat/include/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/cmwq/kcompat"
  FILES_MATCHING PATTERN "*.h")

# --- CMake package ------------------------------------------------------------------------------
install(EXPORT cmwqTargets
  NAMESPACE cmwq::
  FILE cmwqTargets.cmake
  DESTINATION "${CMWQ_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/cmwqConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cmwqConfig.cmake"
  INSTALL_DESTINATION "${CMWQ_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/cmwqConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/cmwqConfig.cmake"
  "${PROJECT_BINARY_DIR}/cmwqConfigVersion.cmake"
  DESTINATION "${CMWQ_INSTALL_CMAKEDIR}")

# --- pkg-config ---------------------------------------------------------------------------------
# Two passes. Now: fill in everything but the prefix, leaving "@CMWQ_PC_PREFIX@" in place. At
# install time: substitute the prefix actually installed to (cmake --install --prefix overrides
# CMAKE_INSTALL_PREFIX in the install script) and install the result.
function(cmwq_pc_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
cmwq_pc_dir(CMWQ_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
cmwq_pc_dir(CMWQ_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
set(CMWQ_PC_PREFIX "@CMWQ_PC_PREFIX@")
set(CMWQ_PC_LIBS_TAIL "")
if(NOT CMWQ_PC_EXTRA_LIBS STREQUAL "")
  set(CMWQ_PC_LIBS_TAIL " ${CMWQ_PC_EXTRA_LIBS}")
endif()

foreach(pc IN ITEMS cmwq cmwq-kcompat cmwq-kmod)
  set(template "${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc.in")
  set(final "${PROJECT_BINARY_DIR}/pkgconfig/install/${pc}.pc")
  configure_file("${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in" "${template}" @ONLY)
  install(CODE "
    set(CMWQ_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${template}\" \"${final}\" @ONLY)
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMWQ_INSTALL_PKGCONFIGDIR}\" TYPE FILE FILES \"${final}\")
  ")
endforeach()
