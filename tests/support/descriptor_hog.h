// Test support: starves the process of file descriptors, as another part of
// a busy process would. TakeFree() takes every descriptor still free (dup of
// stdin until EMFILE); call it again while waiting, since whatever ends (a
// probe's socket) frees its descriptors for the next taker. Release() (and
// the destructor) gives them all back.
#pragma once

#include <unistd.h>

#include <vector>

namespace registrar::testing {

class DescriptorHog {
 public:
  DescriptorHog() = default;
  DescriptorHog(const DescriptorHog&) = delete;
  DescriptorHog& operator=(const DescriptorHog&) = delete;
  ~DescriptorHog() { Release(); }

  void TakeFree() {
    for (int fd = dup(0); fd >= 0; fd = dup(0)) taken_.push_back(fd);
  }
  void Release() {
    for (int fd : taken_) close(fd);
    taken_.clear();
  }

 private:
  std::vector<int> taken_;
};

}  // namespace registrar::testing
