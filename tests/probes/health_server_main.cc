// A grpc++ server with its default health service (SERVING) on
// 127.0.0.1:<argv[1]>, until killed: a gRPC peer in a process of its own, for
// tests whose own process runs out of descriptors.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(std::string("127.0.0.1:") + argv[1], grpc::InsecureServerCredentials());
  grpc::CallbackGenericService generic;  // grpc++ needs a service of its own to poll for
  builder.RegisterCallbackGenericService(&generic);
  auto server = builder.BuildAndStart();
  if (server == nullptr) return 1;
  server->Wait();
  return 0;
}
