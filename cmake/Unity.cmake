# registrar_unity(<target>): compile the target's sources as a few unity
# translation units (CMake's UNITY_BUILD) instead of one per file. Each of our
# files spends most of its compile in the same gRPC, protobuf, abseil and
# standard headers; batched, those are parsed once per batch. Only our own
# targets use it: protoc's generated files define the same file-static names
# and cannot share a translation unit.
# REGISTRAR_UNITY_BUILD=OFF compiles file by file (e.g. to check that each
# file includes what it uses); the batch size trades the saving for
# parallelism on machines with many cores.
option(REGISTRAR_UNITY_BUILD "Compile our libraries and the binary as unity batches" ON)
set(REGISTRAR_UNITY_BATCH_SIZE 8 CACHE STRING "Source files per unity translation unit")
function(registrar_unity target)
  if(REGISTRAR_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES
      UNITY_BUILD ON UNITY_BUILD_MODE BATCH UNITY_BUILD_BATCH_SIZE ${REGISTRAR_UNITY_BATCH_SIZE})
  endif()
endfunction()
