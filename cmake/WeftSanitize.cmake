# WeftSanitize.cmake - option WEFT_SANITIZE: AddressSanitizer + UBSan;
# option WEFT_TSAN: ThreadSanitizer (the two cannot share a build).
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

# ThreadSanitizer: the hot path takes no lock, so what threads share (the
# pool, the registry, the schema tables, the site caches) must be ordered
# by atomics and the pool's mutex alone; TSan checks that the unit tests'
# threads never race.  A report fails the test (TSan exits with 66).
option(WEFT_TSAN "Build everything with -fsanitize=thread" OFF)
if(WEFT_TSAN)
  if(WEFT_SANITIZE)
    message(FATAL_ERROR "WEFT_TSAN and WEFT_SANITIZE cannot share a build")
  endif()
  add_compile_options(-fsanitize=thread -g)
  add_link_options(-fsanitize=thread)
  message(STATUS "Weft: ThreadSanitizer on")
endif()
# Sanitizer runtimes are resolved by the executable, not by our libraries.
if(WEFT_SANITIZE OR WEFT_TSAN)
  set(WEFT_SANITIZED ON)
else()
  set(WEFT_SANITIZED OFF)
endif()

# Environment for tests run in a sanitized build.  Tests that use MPI add
# tests/lsan-mpi.supp: Open MPI, PMIx and hwloc leak by design at
# MPI_Init/MPI_Finalize, and the suppressions only match with the slow
# unwinder (see docs in tests/lsan-mpi.supp).  Our own leaks are still found.
set(WEFT_SANITIZE_ENV "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
set(WEFT_SANITIZE_MPI_ENV
    ${WEFT_SANITIZE_ENV}
    "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan-mpi.supp:print_suppressions=0:fast_unwind_on_malloc=0")
