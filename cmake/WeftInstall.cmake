# WeftInstall.cmake - install rules, the CMake package and pkg-config files.
#
# Included at the end of the top-level CMakeLists.txt, after every
# subdirectory, so that it sees the targets the other parts define:
#   weft, weft_static                 always (lib/)
#   weft_mpi, weft_mpi_static         when mpi/ defines them
#   weft_cli (the `weft` command)     when tools/ defines it
# Installed:
#   include/weft.h, include/weft_mpi.h (and any other mpi/include/*.h)
#   lib/libweft.so.* libweft.a, lib/libweft-mpi.so.* ... (names as built)
#   bin/weft
#   lib/cmake/Weft/{WeftConfig,WeftConfigVersion,WeftTargets,WeftMpiTargets}.cmake
#     -> find_package(Weft [COMPONENTS mpi]) gives Weft::weft,
#        Weft::weft_static, Weft::weft_mpi, Weft::weft_mpi_static
#   lib/pkgconfig/weft.pc, weft-mpi.pc
# The pkg-config files locate the prefix from their own directory
# (${pcfiledir}), so `cmake --install --prefix X` works for any X.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WEFT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/Weft")
set(WEFT_PKGCONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

# An exported static library carries its PRIVATE dependencies as
# $<LINK_ONLY:...>, and CMake refuses to export a target whose dependency
# is a plain (non-imported) target outside every export set.  Collect the
# INTERFACE helper targets (weft_warnings, weft_internal, weft_hdf5, or
# any the other parts add) that the exported libraries link, so that the
# export never breaks when a part links one more helper.  Their usage
# requirements are BUILD_INTERFACE-only or imported, so installing them
# gives consumers nothing but the right link line.
function(weft_interface_helpers out_var)
  set(_found "")
  set(_queue ${ARGN})
  while(_queue)
    list(POP_FRONT _queue _t)
    foreach(_prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(_libs ${_t} ${_prop})
      if(NOT _libs)
        continue()
      endif()
      foreach(_lib IN LISTS _libs)
        if(_lib MATCHES "^\\$<LINK_ONLY:(.*)>$")
          set(_lib "${CMAKE_MATCH_1}")
        endif()
        if(NOT TARGET "${_lib}" OR "${_lib}" IN_LIST _found)
          continue()
        endif()
        get_target_property(_imported ${_lib} IMPORTED)
        get_target_property(_type ${_lib} TYPE)
        get_target_property(_alias ${_lib} ALIASED_TARGET)
        if(_imported OR _alias OR NOT _type STREQUAL "INTERFACE_LIBRARY")
          continue()
        endif()
        list(APPEND _found ${_lib})
        list(APPEND _queue ${_lib})
      endforeach()
    endforeach()
  endwhile()
  set(${out_var} "${_found}" PARENT_SCOPE)
endfunction()

# --- libweft ---------------------------------------------------------------
weft_interface_helpers(_weft_helpers weft weft_static)
install(TARGETS weft weft_static ${_weft_helpers}
        EXPORT WeftTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${PROJECT_SOURCE_DIR}/lib/include/weft.h"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT WeftTargets NAMESPACE Weft::
        FILE WeftTargets.cmake DESTINATION ${WEFT_CMAKE_DIR})

# --- libweft-mpi -----------------------------------------------------------
set(WEFT_HAVE_MPI_LIB OFF)
if(TARGET weft_mpi)
  set(WEFT_HAVE_MPI_LIB ON)
  set(_mpi_libs weft_mpi)
  if(TARGET weft_mpi_static)
    list(APPEND _mpi_libs weft_mpi_static)
  endif()
  weft_interface_helpers(_mpi_helpers ${_mpi_libs})
  list(REMOVE_ITEM _mpi_helpers ${_weft_helpers})
  install(TARGETS ${_mpi_libs} ${_mpi_helpers}
          EXPORT WeftMpiTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  file(GLOB _mpi_headers "${PROJECT_SOURCE_DIR}/mpi/include/*.h")
  install(FILES ${_mpi_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT WeftMpiTargets NAMESPACE Weft::
          FILE WeftMpiTargets.cmake DESTINATION ${WEFT_CMAKE_DIR})
else()
  message(STATUS "Weft: no weft_mpi target (mpi/ not there yet): "
                 "libweft-mpi, weft_mpi.h and weft-mpi.pc are not installed")
endif()

# --- the weft command ------------------------------------------------------
if(TARGET weft_cli)
  install(TARGETS weft_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# --- CMake package ---------------------------------------------------------
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/WeftConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cmake/WeftConfig.cmake"
  INSTALL_DESTINATION ${WEFT_CMAKE_DIR})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/cmake/WeftConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/cmake/WeftConfig.cmake"
              "${PROJECT_BINARY_DIR}/cmake/WeftConfigVersion.cmake"
        DESTINATION ${WEFT_CMAKE_DIR})

# --- pkg-config ------------------------------------------------------------
# Relative path from the .pc file's directory back to the prefix.
file(RELATIVE_PATH WEFT_PC_TO_PREFIX
     "/prefix/${WEFT_PKGCONFIG_DIR}" "/prefix")
string(REGEX REPLACE "/$" "" WEFT_PC_TO_PREFIX "${WEFT_PC_TO_PREFIX}")
set(WEFT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
set(WEFT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")

# Two steps: configure_file fills @VARS@, file(GENERATE) then resolves the
# library file names ($<TARGET_LINKER_FILE_BASE_NAME:...>), which belong to
# the targets' owners (OUTPUT_NAME) and are only known at generate time.
function(weft_pkgconfig name)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/${name}.pc.in"
                 "${PROJECT_BINARY_DIR}/cmake/${name}.pc.gen" @ONLY)
  file(GENERATE OUTPUT "${PROJECT_BINARY_DIR}/cmake/${name}.pc"
       INPUT "${PROJECT_BINARY_DIR}/cmake/${name}.pc.gen")
  install(FILES "${PROJECT_BINARY_DIR}/cmake/${name}.pc"
          DESTINATION ${WEFT_PKGCONFIG_DIR})
endfunction()

# The first pkg-config module of a list that exists on this machine.
function(weft_pkgconfig_pick out_var)
  foreach(_module IN LISTS ARGN)
    pkg_check_modules(_weft_pc_probe QUIET ${_module})
    if(_weft_pc_probe_FOUND)
      set(${out_var} ${_module} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no pkg-config module among: ${ARGN}")
endfunction()

weft_pkgconfig(weft)
if(WEFT_HAVE_MPI_LIB)
  # weft-mpi.pc requires the MPI and parallel HDF5 modules by name; prefer
  # the flavour-specific names, which alternatives cannot redirect.
  weft_pkgconfig_pick(WEFT_PC_MPI ompi-c mpi-c mpi)
  weft_pkgconfig_pick(WEFT_PC_HDF5 hdf5-openmpi hdf5-mpi hdf5)
  weft_pkgconfig(weft-mpi)
endif()
