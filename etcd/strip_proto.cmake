# cmake -DIN=<etcd's .proto> -DOUT=<file> -P strip_proto.cmake
#
# Copies one of etcd's API definitions, dropping only what C++ code generation
# cannot use: the gogoproto options (Go code generation) and the google.api
# HTTP annotations (grpc-gateway), with their imports. Imports of etcd's own
# files lose their "etcd/<dir>/" part so they resolve in our layout
# (mvccpb/kv.proto, authpb/auth.proto). Packages, messages, field numbers and
# services stay as etcd wrote them, so the wire format is etcd's.
file(READ "${IN}" text)
string(REGEX REPLACE "import \"gogoproto/gogo.proto\";\n" "" text "${text}")
string(REGEX REPLACE "import \"google/api/annotations.proto\";\n" "" text "${text}")
string(REGEX REPLACE "import \"etcd/[a-z]+/([a-z]+pb/[a-z_]+\\.proto)\";" "import \"\\1\";"
       text "${text}")
string(REGEX REPLACE "option \\(gogoproto\\.[a-z_]+\\) = [a-z]+;\n" "" text "${text}")
string(REGEX REPLACE " *\\[\\(gogoproto\\.[^]]*\\]" "" text "${text}")
# rpc X(A) returns (B) { option (google.api.http) = { ... }; }  →  rpc X(A) returns (B);
# The option block holds no ";" before its closing "};".
string(REGEX REPLACE "returns \\(([^)]*)\\) {[^;]*;[ \n]*}" "returns (\\1);" text "${text}")
if(text MATCHES "gogoproto|google\\.api")
  message(FATAL_ERROR "strip_proto: annotations left in ${IN}")
endif()
file(WRITE "${OUT}" "${text}")
