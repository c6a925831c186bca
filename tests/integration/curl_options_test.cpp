// SPDX-License-Identifier: Apache-2.0
// The libcurl transport checks every curl_easy_setopt result: with a libcurl that does not know
// CURLOPT_PROTOCOLS_STR (7.81, Ubuntu 22.04) it restricts protocols with the older bitmask, and when an
// option it relies on is refused it sends nothing and says which. The one fake is a fault stand-in for
// libcurl.so.4 (curl_shim.c, found through LD_LIBRARY_PATH as the transport's dlopen would find the
// system's): it forwards everything to the real libcurl but refuses the options a test names, which no
// real libcurl does on demand. Requests go to the real dev provider.
#include "libcurl/curl_transport.hpp"
#include "provider_process.hpp"

// The test names CURLOPT_PROTOCOLS, the option of libcurl < 7.85, which newer headers mark deprecated.
#define CURL_DISABLE_DEPRECATION
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include <dlfcn.h>

namespace nativeauth {
namespace {

using testing::ProviderProcess;
using testing::TempDir;

/// The shim's controls (curl_shim.c), found in the libcurl.so.4 this process loads.
struct Shim {
  void (*refuse)(int option, int code) = nullptr;
  long (*passed)(int option) = nullptr;
  long (*performs)() = nullptr;
};

/// Opens libcurl.so.4 the way the transport does (so both get the same object); `*why` when it is no shim.
Shim find_shim(std::string *why) {
  Shim shim;
  void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);  // never closed, like the transport's
  if (!library) {
    *why = std::string("libcurl.so.4 cannot be opened: ") + dlerror();
    return shim;
  }
  // POSIX: a data pointer from dlsym converts to a function pointer through its object representation.
  *reinterpret_cast<void **>(&shim.refuse) = dlsym(library, "nativeauth_curl_shim_refuse");
  *reinterpret_cast<void **>(&shim.passed) = dlsym(library, "nativeauth_curl_shim_passed");
  *reinterpret_cast<void **>(&shim.performs) = dlsym(library, "nativeauth_curl_shim_performs");
  if (!shim.refuse || !shim.passed || !shim.performs) {
    *why = "the libcurl.so.4 loaded is the real one, not the test's shim: run this test through ctest, which "
           "puts the shim's directory in LD_LIBRARY_PATH";
    shim.refuse = nullptr;
  }
  return shim;
}

class CurlOptions : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    provider_ = ProviderProcess::start({}, &why).release();
    ASSERT_NE(provider_, nullptr) << why;
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(provider_, nullptr);
    std::string why;
    shim_ = find_shim(&why);
    ASSERT_TRUE(shim_.refuse) << why;
  }

  Result<platform::HttpResponse> get(const std::string &url) {
    platform::HttpRequest request;
    request.url = url;
    return transport_->send(request);
  }
  std::string discovery_url() const { return provider_->origin() + "/.well-known/openid-configuration"; }

  static ProviderProcess *provider_;
  Shim shim_;
  std::shared_ptr<platform::HttpTransport> transport_ = libcurl::make_curl_transport({});
};
ProviderProcess *CurlOptions::provider_ = nullptr;

TEST_F(CurlOptions, WithoutProtocolsStrTheOlderBitmaskStillRestrictsProtocols) {
  shim_.refuse(CURLOPT_PROTOCOLS_STR, CURLE_UNKNOWN_OPTION);  // what libcurl < 7.85 answers

  auto discovery = get(discovery_url());
  ASSERT_TRUE(discovery) << discovery.error().to_string();
  EXPECT_EQ(discovery->status, 200);
  EXPECT_NE(discovery->body.reveal().find("\"issuer\""), std::string_view::npos);
  EXPECT_GE(shim_.passed(CURLOPT_PROTOCOLS), 1) << "CURLOPT_PROTOCOLS was never set";

  // The restriction holds: libcurl would read a file: URL happily, the transport's libcurl must not.
  TempDir dir;
  std::ofstream(dir.file("local.txt")) << "a local file, not for the network\n";
  auto file = get("file://" + dir.file("local.txt"));
  ASSERT_FALSE(file) << "a file: URL was read (status " << file->status << "): no protocol restriction";
  EXPECT_EQ(file.error().code, ErrorCode::invalid_argument) << file.error().to_string();
}

// The twin: a libcurl that knows neither way to restrict protocols gets no request at all.
TEST_F(CurlOptions, WithNeitherProtocolOptionNothingIsSent) {
  shim_.refuse(CURLOPT_PROTOCOLS_STR, CURLE_UNKNOWN_OPTION);
  shim_.refuse(CURLOPT_PROTOCOLS, CURLE_UNKNOWN_OPTION);
  const long performs = shim_.performs();
  auto discovery = get(discovery_url());
  ASSERT_FALSE(discovery) << "sent without any protocol restriction";
  EXPECT_EQ(discovery.error().code, ErrorCode::internal);
  EXPECT_FALSE(discovery.error().transient);
  EXPECT_NE(discovery.error().message.find("CURLOPT_PROTOCOLS"), std::string::npos) << discovery.error().message;
  EXPECT_EQ(shim_.performs(), performs);
}

// An option the transport's promises rest on (TLS verification, no redirects) refused: nothing is sent,
// and the message names the option. The same request works once nothing is refused.
TEST_F(CurlOptions, ARefusedSecurityOptionRefusesTheRequest) {
  const std::pair<CURLoption, const char *> options[] = {{CURLOPT_SSL_VERIFYPEER, "CURLOPT_SSL_VERIFYPEER"},
                                                         {CURLOPT_SSL_VERIFYHOST, "CURLOPT_SSL_VERIFYHOST"},
                                                         {CURLOPT_SSLVERSION, "CURLOPT_SSLVERSION"},
                                                         {CURLOPT_FOLLOWLOCATION, "CURLOPT_FOLLOWLOCATION"}};
  for (const auto &[option, name] : options) {
    shim_.refuse(option, CURLE_NOT_BUILT_IN);
    const long performs = shim_.performs();
    auto discovery = get(discovery_url());
    ASSERT_FALSE(discovery) << "sent although libcurl refused " << name;
    const Error &e = discovery.error();
    EXPECT_EQ(e.code, ErrorCode::internal) << e.to_string();
    EXPECT_FALSE(e.transient);
    EXPECT_NE(e.message.find(std::string("libcurl refused ") + name), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("was not sent"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find(provider_->origin()), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("openid-configuration"), std::string::npos) << "a path in the message: " << e.message;
    EXPECT_EQ(shim_.performs(), performs) << name;
    shim_.refuse(option, 0);
  }
  auto discovery = get(discovery_url());
  ASSERT_TRUE(discovery) << discovery.error().to_string();
  EXPECT_EQ(discovery->status, 200);
}

}  // namespace
}  // namespace nativeauth
