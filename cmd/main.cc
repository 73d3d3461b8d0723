#include <cstdio>
#include <cstring>

#include "cmd/version.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("etcd-registrar %s (%s)\n", registrar::kVersion, registrar::kRevision);
    return 0;
  }
  std::fprintf(stderr, "etcd-registrar: not wired yet\n");
  return 1;
}
