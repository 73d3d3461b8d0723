// A fixture for tests of the etcd-registrar binary: a real etcd on a free
// loopback port, and the test's own client to read what the registrar wrote.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "etcd/client.h"
#include "tests/controller/test_client.h"
#include "tests/support/etcd_server.h"

namespace registrar::testing {

class RegistrarBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok()) << etcd_.log();
    auto client = ConnectTestClient(etcd_);
    ASSERT_TRUE(client.ok()) << client.status();
    reader_ = *std::move(client);
  }

  // Keys under `prefix` (-1: etcd did not answer).
  int64_t KeyCount(const std::string& prefix = "/services/") {
    etcd::RangeOptions options;
    options.prefix = true;
    options.count_only = true;
    auto r = reader_->Range(prefix, options);
    return r.ok() ? r->count : -1;
  }

  EtcdServer etcd_;
  std::unique_ptr<etcd::Client> reader_;
};

}  // namespace registrar::testing
