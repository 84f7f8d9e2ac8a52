# WeftWarnings.cmake - the `weft_warnings` INTERFACE target.
#
# Every target of the project links it PRIVATE, so warnings are errors in
# our own code but never leak into a consumer's build: the options are
# wrapped in BUILD_INTERFACE, which keeps the target empty once installed
# (it is exported only because CMake requires the PRIVATE dependencies of an
# exported static library to be exported too).

add_library(weft_warnings INTERFACE)
target_compile_options(weft_warnings INTERFACE
  $<BUILD_INTERFACE:$<$<COMPILE_LANGUAGE:C>:-Wall;-Wextra;-Wpedantic;-Werror>>)
