# WeftVersion.cmake - the project version comes from lib/include/weft.h.
#
# weft.h is the single source of truth (WEFT_VERSION_MAJOR/MINOR/PATCH), so
# the header, the shared library's SOVERSION and the package files can never
# disagree.  Included before project() so that project(VERSION) can use it.

function(weft_read_version header out_var)
  file(STRINGS "${header}" _defs
       REGEX "^#define WEFT_VERSION_(MAJOR|MINOR|PATCH) +[0-9]+")
  foreach(_part MAJOR MINOR PATCH)
    set(_value "")
    foreach(_line IN LISTS _defs)
      if(_line MATCHES "^#define WEFT_VERSION_${_part} +([0-9]+)")
        set(_value "${CMAKE_MATCH_1}")
      endif()
    endforeach()
    if(_value STREQUAL "")
      message(FATAL_ERROR "${header}: no '#define WEFT_VERSION_${_part} N'")
    endif()
    list(APPEND _version "${_value}")
  endforeach()
  list(JOIN _version "." _version)
  set(${out_var} "${_version}" PARENT_SCOPE)
endfunction()
