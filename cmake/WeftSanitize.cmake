# WeftSanitize.cmake - option WEFT_SANITIZE: AddressSanitizer + UBSan.
#
# Applied with add_compile_options/add_link_options before any target is
# created, so that the libraries, the tests and every other program of the
# build are instrumented alike (a sanitized test against an uninstrumented
# library would miss the library's bugs).  UB is fatal
# (-fno-sanitize-recover) so a ctest run fails on the first report.

option(WEFT_SANITIZE "Build everything with -fsanitize=address,undefined" OFF)

if(WEFT_SANITIZE)
  set(_weft_san_flags
      -fsanitize=address,undefined
      -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  add_compile_options(${_weft_san_flags} -g)
  add_link_options(${_weft_san_flags})
  message(STATUS "Weft: sanitizers on (${_weft_san_flags})")
endif()

# Environment for tests run in a sanitized build.  Tests that use MPI add
# tests/lsan-mpi.supp: Open MPI, PMIx and hwloc leak by design at
# MPI_Init/MPI_Finalize, and the suppressions only match with the slow
# unwinder (see docs in tests/lsan-mpi.supp).  Our own leaks are still found.
set(WEFT_SANITIZE_ENV "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
set(WEFT_SANITIZE_MPI_ENV
    ${WEFT_SANITIZE_ENV}
    "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan-mpi.supp:print_suppressions=0:fast_unwind_on_malloc=0")
