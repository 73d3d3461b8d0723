# registrar_warnings(<target>): our warning set, on our targets only.
function(registrar_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(REGISTRAR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
