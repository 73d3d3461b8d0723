// Shared by the etcd client tests: a fixture with a real etcd and a client.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "etcd/client.h"
#include "tests/support/etcd_server.h"

namespace registrar::etcd {

// Fails the test on a non-OK result; yields the value.
template <typename T>
T ValueOrDie(absl::StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) throw std::runtime_error(std::string(result.status().message()));
  return *std::move(result);
}

inline std::unique_ptr<Client> NewClient(ClientOptions options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

// A fresh etcd per test and a client to it.
class EtcdClientTest : public ::testing::Test {
 protected:
  explicit EtcdClientTest(testing::EtcdServer::Options server_options = {})
      : server_(std::move(server_options)) {}

  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok()) << server_.log();
    ClientOptions options;
    options.endpoints = {server_.endpoint()};
    client_ = NewClient(options);
    ASSERT_NE(client_, nullptr);
  }

  testing::EtcdServer server_;
  std::unique_ptr<Client> client_;
};

}  // namespace registrar::etcd
