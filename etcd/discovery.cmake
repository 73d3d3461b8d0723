# Discovery client library (snapshot + watch of a prefix) and the `discover`
# command; included from etcd/CMakeLists.txt. See etcd/discovery.h.
add_library(registrar_discovery STATIC
  discovery_cli.cc
  discovery_loop.cc
  discovery_parse.cc
  discovery_state.cc)
add_library(registrar::discovery ALIAS registrar_discovery)
target_include_directories(registrar_discovery PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(registrar_discovery
  PUBLIC registrar::etcd registrar::common absl::status absl::statusor CLI11::CLI11
  PRIVATE nlohmann_json::nlohmann_json spdlog::spdlog Threads::Threads)
registrar_warnings(registrar_discovery)
registrar_unity(registrar_discovery)
