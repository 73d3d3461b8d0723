# Sanitizer and fuzzing builds (clang; scripts/sanitize.sh drives them in
# their own build directories, never in build/).
#   REGISTRAR_SANITIZE="address,undefined" or "thread": instrument every
#     target we compile; the first report aborts the test (no recovery).
#   REGISTRAR_FUZZ=ON: also compile with -fsanitize=fuzzer-no-link, so the
#     libFuzzer targets in fuzz/ link the same libraries as the tests.
set(REGISTRAR_SANITIZE "" CACHE STRING "Sanitizers to build with (clang), e.g. address,undefined")
option(REGISTRAR_FUZZ "Build the libFuzzer targets in fuzz/ (clang)" OFF)
if(REGISTRAR_SANITIZE)
  add_compile_options(-fsanitize=${REGISTRAR_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${REGISTRAR_SANITIZE})
endif()
if(REGISTRAR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "REGISTRAR_FUZZ needs clang (libFuzzer)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
