# WeftDependencies.cmake - the third-party packages of the build.
#
#   Threads::Threads   pthreads (per-thread buffers)
#   MPI::MPI_C         Open MPI (libweft-mpi, MPI tests, MPI examples)
#   weft_hdf5          INTERFACE target: parallel HDF5 *and* MPI::MPI_C.
#                      Link this rather than hdf5::hdf5: the parallel
#                      H5public.h includes mpi.h, so HDF5 alone does not
#                      compile (machine-notes section 2).
#   PkgConfig::XXHASH  libxxhash (XXH3 checksums of the crash journal)
#   PkgConfig::CMOCKA  cmocka; Debian's 1.1.5 config file defines no
#                      cmocka::cmocka target, pkg-config does.
#
# scripts/setup installs every one of them on Debian 12.

find_package(Threads REQUIRED)

find_package(MPI REQUIRED COMPONENTS C)

# Prefer the parallel build even if a serial libhdf5-dev gets installed
# later and takes over the `hdf5` alternatives.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "HDF5 at ${HDF5_C_INCLUDE_DIRS} is not built for MPI; "
    "install libhdf5-openmpi-dev (./scripts/setup does)")
endif()

add_library(weft_hdf5 INTERFACE)
if(TARGET hdf5::hdf5)
  target_link_libraries(weft_hdf5 INTERFACE hdf5::hdf5 MPI::MPI_C)
else()
  # CMake 3.18 has no hdf5::hdf5 target yet.
  target_include_directories(weft_hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(weft_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})
  target_link_libraries(weft_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
endif()
message(STATUS "Weft: HDF5 ${HDF5_VERSION} (parallel), MPI ${MPI_C_VERSION}, "
               "mpiexec ${MPIEXEC_EXECUTABLE}")

find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
if(BUILD_TESTING)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka>=1.1)
endif()
