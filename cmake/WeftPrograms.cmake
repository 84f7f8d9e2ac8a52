# WeftPrograms.cmake - one executable per C file, for examples/ and bench/.
#
# weft_add_programs(<kind>)  (called from examples/ and bench/)
#   Every <dir>/*.c that defines main() becomes the target <kind>_<stem>
#   whose file is build/<dir>/<stem> (e.g. build/examples/mpi_job).
#   A .c file without main() (e.g. examples/capture_tree.c) is a support
#   file: all of them form the static library <kind>_support, linked into
#   every program of the directory.
#   What a program links is detected, not listed: a file that includes
#   weft_mpi.h or mpi.h links weft_mpi (and MPI::MPI_C); any other links
#   weft.  Until mpi/ provides weft_mpi, the MPI programs are skipped with a
#   configure-time message.  Adding a program is adding a file.

# True in out_var when `file` includes weft_mpi.h or mpi.h.
function(weft_uses_mpi file out_var)
  file(STRINGS "${file}" _hits
       REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](weft_mpi|mpi)\\.h[>\"]")
  if(_hits)
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()

function(weft_add_programs kind)
  file(GLOB _sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.c")
  list(SORT _sources)
  set(_programs "")
  set(_support "")
  set(_support_mpi FALSE)
  foreach(_src IN LISTS _sources)
    file(STRINGS "${_src}" _main REGEX "^[ \t]*int[ \t]+main[ \t]*\\(")
    if(_main)
      list(APPEND _programs "${_src}")
    else()
      list(APPEND _support "${_src}")
      weft_uses_mpi("${_src}" _mpi)
      if(_mpi)
        set(_support_mpi TRUE)
      endif()
    endif()
  endforeach()

  set(_support_lib "")
  if(_support)
    if(_support_mpi AND NOT TARGET weft_mpi)
      message(STATUS "Weft: ${kind}/ support files need weft_mpi, which "
                     "mpi/ does not provide yet: ${kind}/ skipped")
      return()
    endif()
    set(_support_lib ${kind}_support)
    add_library(${_support_lib} STATIC ${_support})
    target_include_directories(${_support_lib} PUBLIC
                               "${CMAKE_CURRENT_SOURCE_DIR}")
    target_link_libraries(${_support_lib} PUBLIC weft PRIVATE weft_warnings)
    if(_support_mpi)
      target_link_libraries(${_support_lib} PUBLIC weft_mpi MPI::MPI_C)
    endif()
  endif()

  foreach(_src IN LISTS _programs)
    get_filename_component(_stem "${_src}" NAME_WE)
    weft_uses_mpi("${_src}" _mpi)
    if(_mpi)
      if(NOT TARGET weft_mpi)
        message(STATUS "Weft: ${kind}/${_stem}.c needs weft_mpi, "
                       "which mpi/ does not provide yet: skipped")
        continue()
      endif()
      set(_libs weft_mpi MPI::MPI_C)
    else()
      set(_libs weft)
    endif()
    # A program that includes omp.h is built with OpenMP.
    file(STRINGS "${_src}" _omp
         REGEX "^[ \t]*#[ \t]*include[ \t]*<omp\\.h>")
    if(_omp)
      find_package(OpenMP COMPONENTS C)
      if(OpenMP_C_FOUND)
        list(APPEND _libs OpenMP::OpenMP_C)
      else()
        message(STATUS "Weft: no OpenMP for this compiler: "
                       "${kind}/${_stem} runs one thread per rank")
      endif()
    endif()
    set(_target ${kind}_${_stem})
    add_executable(${_target} "${_src}")
    set_target_properties(${_target} PROPERTIES OUTPUT_NAME ${_stem})
    target_link_libraries(${_target} PRIVATE
      ${_support_lib} ${_libs} m weft_warnings)
  endforeach()
endfunction()
