# registrar_warnings(<target>): our warning set, on our targets only.
function(registrar_warnings target)
  # Designated initializers may leave members at their defaults.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-missing-field-initializers)
  if(REGISTRAR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
