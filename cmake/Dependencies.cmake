# SPDX-License-Identifier: MIT
# Finds what mprof builds against.  A missing dependency stops cmake with
# one line naming the Debian package that provides it.

function(mprof_missing what package)
  message(FATAL_ERROR "mprof: ${what} not found: apt-get install ${package}")
endfunction()

if(NOT CMAKE_C_COMPILER_ID STREQUAL "GNU" OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  message(FATAL_ERROR "mprof: the plugin needs GCC and G++ (found ${CMAKE_C_COMPILER_ID}/${CMAKE_CXX_COMPILER_ID}): apt-get install gcc g++")
endif()

# The plugin must be built by the g++ of the gcc that will load it, against
# that gcc's plugin headers.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=plugin
                OUTPUT_VARIABLE MPROF_GCC_PLUGIN_DIR
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${MPROF_GCC_PLUGIN_DIR}/include/gcc-plugin.h")
  string(REGEX MATCH "^[0-9]+" _gcc_major "${CMAKE_C_COMPILER_VERSION}")
  mprof_missing("GCC plugin headers" "gcc-${_gcc_major}-plugin-dev")
endif()

find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  mprof_missing("pkg-config" "pkg-config")
endif()

find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)
if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  mprof_missing("cmocka" "libcmocka-dev")
endif()

find_package(Threads REQUIRED)

# zlib: the gzip stream of `mprof report --pprof` (report/pprof.c).
find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  mprof_missing("zlib" "zlib1g-dev")
endif()
