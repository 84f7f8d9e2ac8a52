# WeftTesting.cmake - how tests are registered.
#
# weft_add_unit_test(NAME <name> SOURCES <files...> [LIBS <libs...>])
#   A cmocka executable (target unit_<name>, file tests/unit/test_<name> in
#   the build tree) and the ctest test unit.<name>, label `unit`.
#   It links weft_internal (lib/src headers), cmocka and weft_warnings, plus
#   LIBS.  Without LIBS it links weft_static, so a test reaches every
#   weft__ function, even those the shared library hides.  LIBS *replaces*
#   that default (e.g. LIBS weft_mpi_static): never link both libweft.so and
#   libweft.a into one program, there would be two copies of its state.
#   In a WEFT_SANITIZE build a test whose LIBS mention MPI gets the MPI leak
#   suppressions (tests/lsan-mpi.supp).
#
# weft_add_mpi_test(NAME <name> NP <n> COMMAND <exe> [ARGS <args...>])
#   The ctest test mpi.<name>: `mpiexec -n <n> --oversubscribe <exe> <args>`
#   with the two OMPI_ALLOW_RUN_AS_ROOT variables, label `mpi`, TIMEOUT 120.
#   <exe> is a target name (it may be defined later) or a path with a '/'.
#
# Both add their executables to the custom target `weft_unit_tests` /
# `weft_mpi_tests`, so scripts/test can build only what a label needs.

add_custom_target(weft_unit_tests)
add_custom_target(weft_mpi_tests)

set(WEFT_MPI_ROOT_ENV
    "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")

function(weft_add_unit_test)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME" "SOURCES;LIBS")
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "weft_add_unit_test: NAME and SOURCES are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "weft_add_unit_test(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_LIBS)
    set(ARG_LIBS weft_static)
  endif()

  set(_target unit_${ARG_NAME})
  add_executable(${_target} ${ARG_SOURCES})
  set_target_properties(${_target} PROPERTIES
    OUTPUT_NAME test_${ARG_NAME}
    RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/tests/unit")
  target_link_libraries(${_target} PRIVATE
    ${ARG_LIBS} weft_internal PkgConfig::CMOCKA weft_warnings)
  add_dependencies(weft_unit_tests ${_target})

  add_test(NAME unit.${ARG_NAME} COMMAND ${_target})
  set(_env ${WEFT_MPI_ROOT_ENV})
  if(WEFT_SANITIZE)
    string(TOLOWER "${ARG_LIBS}" _libs)
    if(_libs MATCHES "mpi")
      list(APPEND _env ${WEFT_SANITIZE_MPI_ENV})
    else()
      list(APPEND _env ${WEFT_SANITIZE_ENV})
    endif()
  endif()
  set_tests_properties(unit.${ARG_NAME} PROPERTIES
    LABELS unit TIMEOUT 120 ENVIRONMENT "${_env}")
endfunction()

function(weft_add_mpi_test)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME;NP;COMMAND" "ARGS")
  if(NOT ARG_NAME OR NOT ARG_NP OR NOT ARG_COMMAND)
    message(FATAL_ERROR "weft_add_mpi_test: NAME, NP and COMMAND are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "weft_add_mpi_test(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()

  # A name without a slash is a target, possibly defined later (checked
  # at generate time); a program outside the build needs a path.
  set(_exe "${ARG_COMMAND}")
  if(NOT ARG_COMMAND MATCHES "/")
    set(_exe "$<TARGET_FILE:${ARG_COMMAND}>")
    add_dependencies(weft_mpi_tests ${ARG_COMMAND})
  endif()
  add_test(NAME mpi.${ARG_NAME}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ARG_NP}
                   --oversubscribe ${MPIEXEC_PREFLAGS} ${_exe} ${ARG_ARGS}
                   ${MPIEXEC_POSTFLAGS})
  set(_env ${WEFT_MPI_ROOT_ENV})
  if(WEFT_SANITIZE)
    list(APPEND _env ${WEFT_SANITIZE_MPI_ENV})
  endif()
  # PROCESSORS keeps `ctest -j2` from starting an 8-rank test beside others
  # on a 2-core machine (ctest clamps it to the -j level).
  set_tests_properties(mpi.${ARG_NAME} PROPERTIES
    LABELS mpi TIMEOUT 120 PROCESSORS ${ARG_NP} ENVIRONMENT "${_env}")
endfunction()
