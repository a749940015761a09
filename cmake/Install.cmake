# SPDX-License-Identifier: MIT
# `cmake --install`: the plugin under <libdir>/mprof, the runtime (shared and
# static) in <libdir>, mprof.h, a pkg-config file whose --cflags carry the
# -fplugin= path and whose --libs carry the runtime, and a CMake package
# (find_package(mprof) -> mprof::mprof).
include(CMakePackageConfigHelpers)

install(FILES ${PROJECT_SOURCE_DIR}/include/mprof.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Relocatable: the prefix is found from where the .pc file itself lies, so
# `cmake --install --prefix DIR` works whatever prefix was configured.
set(MPROF_PC_PLUGIN "\${libdir}/mprof/mprof.so")
file(RELATIVE_PATH MPROF_PC_UP "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" MPROF_PC_UP "${MPROF_PC_UP}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/mprof.pc.in
               ${PROJECT_BINARY_DIR}/mprof.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mprof.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT mprofTargets NAMESPACE mprof::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mprof)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mprofConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mprofConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mprof
  PATH_VARS MPROF_PLUGIN_INSTALL_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mprofConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mprofConfig.cmake
              ${PROJECT_BINARY_DIR}/mprofConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mprof)
