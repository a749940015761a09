# SPDX-License-Identifier: MIT
# `cmake --install`: the plugin under <libdir>/mprof, the runtime (shared and
# static) in <libdir>, mprof.h, a pkg-config file whose --cflags carry the
# -fplugin= path and whose --libs carry the runtime, and a CMake package
# (find_package(mprof) -> mprof::mprof).
#
# The build tree is usable the same two ways without installing:
#   PKG_CONFIG_PATH=build pkg-config ... mprof   build/mprof-uninstalled.pc
#   cmake -Dmprof_DIR=$PWD/build ...            build/mprofConfig.cmake
# The files meant for the installed prefix are generated into
# build/cmake/install/, where neither search finds them by mistake.
include(CMakePackageConfigHelpers)

set(MPROF_INSTALL_FILES ${PROJECT_BINARY_DIR}/cmake/install)
# Files an older configure wrote at the top of the build tree, whose
# relative paths are wrong there.
file(REMOVE ${PROJECT_BINARY_DIR}/mprof.pc)

install(FILES ${PROJECT_SOURCE_DIR}/include/mprof.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config, installed: relocatable, the prefix is found from where the
# .pc file itself lies, so `cmake --install --prefix DIR` works whatever
# prefix was configured.
file(RELATIVE_PATH MPROF_PC_UP "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" MPROF_PC_UP "${MPROF_PC_UP}")
set(MPROF_PC_PREFIX "\${pcfiledir}/${MPROF_PC_UP}")
set(MPROF_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(MPROF_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
set(MPROF_PC_PLUGIN "\${libdir}/mprof/mprof.so")
configure_file(${PROJECT_SOURCE_DIR}/cmake/mprof.pc.in
               ${MPROF_INSTALL_FILES}/mprof.pc @ONLY)
install(FILES ${MPROF_INSTALL_FILES}/mprof.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# pkg-config, build tree: pkg-config prefers NAME-uninstalled.pc when it
# finds one on PKG_CONFIG_PATH.  The plugin and mprof.h beside it live in
# build/lib, as the plugin's CMakeLists puts them.
set(MPROF_PC_PREFIX "${PROJECT_BINARY_DIR}")
set(MPROF_PC_LIBDIR "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}")
set(MPROF_PC_INCLUDEDIR "\${libdir}/include")
set(MPROF_PC_PLUGIN "\${libdir}/mprof.so")
configure_file(${PROJECT_SOURCE_DIR}/cmake/mprof.pc.in
               ${PROJECT_BINARY_DIR}/mprof-uninstalled.pc @ONLY)

# CMake package, installed.
install(EXPORT mprofTargets NAMESPACE mprof::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mprof)
set(MPROF_CONFIG_PLUGIN_DIR ${MPROF_PLUGIN_INSTALL_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mprofConfig.cmake.in
  ${MPROF_INSTALL_FILES}/mprofConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mprof
  PATH_VARS MPROF_CONFIG_PLUGIN_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mprofConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${MPROF_INSTALL_FILES}/mprofConfig.cmake
              ${PROJECT_BINARY_DIR}/mprofConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mprof)

# CMake package, build tree: the same targets exported with their build
# paths, and a config whose prefix is the build directory.
export(EXPORT mprofTargets NAMESPACE mprof::
       FILE ${PROJECT_BINARY_DIR}/mprofTargets.cmake)
file(RELATIVE_PATH MPROF_CONFIG_PLUGIN_DIR ${PROJECT_BINARY_DIR}
     ${CMAKE_LIBRARY_OUTPUT_DIRECTORY})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mprofConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mprofConfig.cmake
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
  INSTALL_PREFIX ${PROJECT_BINARY_DIR}
  PATH_VARS MPROF_CONFIG_PLUGIN_DIR)
