// Test support: headless Chromium (the Debian `chromium` binary) loading a
// page, for tests of what a person would see.
//
// Each call runs a fresh browser with a throwaway profile, no network
// services of its own (no sync, no updates, no QUIC), bounded by `timeout`.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"

namespace registrar::testing {

// Chromium's command line for headless tests on a closed network (no
// background requests, no sandbox as root), with its profile in `profile_dir`.
std::vector<std::string> ChromiumArgs(const std::string& profile_dir);

// The DOM after the page loaded (chromium --dump-dom), serialized as HTML.
absl::StatusOr<std::string> DumpDom(const std::string& url,
                                    Duration timeout = std::chrono::seconds(90));

// A PNG screenshot of the page at width × height (chromium --screenshot).
absl::Status Screenshot(const std::string& url, const std::string& png_path, int width = 1280,
                        int height = 900, Duration timeout = std::chrono::seconds(90));

}  // namespace registrar::testing
