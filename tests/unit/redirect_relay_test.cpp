// SPDX-License-Identifier: Apache-2.0
// The POSIX redirect relay: real Unix sockets in a throw-away runtime directory.
#include "posix/redirect_relay.hpp"

#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <future>

namespace nativeauth::posix {
namespace {

using testing::ScopedEnv;
using testing::TempDir;

class RedirectRelay : public ::testing::Test {
 protected:
  void SetUp() override { env_.set("XDG_RUNTIME_DIR", run_.path()); }
  TempDir run_;
  ScopedEnv env_;
  platform::SlotKey slot_{"https://idp.example", "app", "default"};
  std::shared_ptr<platform::RedirectRelay> relay_ = make_redirect_relay();
};

TEST_F(RedirectRelay, DeliversTheUrlAndReturnsTheVerdict) {
  std::string received;
  auto endpoint = relay_->listen(slot_, [&](std::string_view url) -> Result<void> {
    received = std::string(url);
    if (url.find("state=good") == std::string_view::npos)
      return make_error(ErrorCode::state_mismatch, "foreign\nstate");
    return {};
  });
  ASSERT_TRUE(endpoint) << endpoint.error().message;

  // Private: a 0700 directory and a 0600 socket.
  struct stat st {};
  ASSERT_EQ(::stat((run_.path() + "/nativeauth").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string path = redirect_socket_path(slot_);
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0077, 0u);

  ASSERT_TRUE(relay_->forward(slot_, "com.example.app:/cb?state=good&code=c", std::chrono::seconds(5)));
  EXPECT_EQ(received, "com.example.app:/cb?state=good&code=c");
  auto refused = relay_->forward(slot_, "com.example.app:/cb?state=bad", std::chrono::seconds(5));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::state_mismatch);
  EXPECT_NE(refused.error().message.find("foreign state"), std::string::npos) << refused.error().message;

  // Another slot has its own endpoint: nobody listens there.
  auto other = relay_->forward({"https://idp.example", "app", "work"}, "x:/?state=good", std::chrono::seconds(5));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::no_pending_sign_in);

  endpoint->reset();
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the socket outlived its endpoint";
  auto gone = relay_->forward(slot_, "com.example.app:/cb?state=good", std::chrono::seconds(5));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::no_pending_sign_in);
}

TEST_F(RedirectRelay, OneListenerPerSlotAndStaleSocketsAreReplaced) {
  auto first = relay_->listen(slot_, [](std::string_view) -> Result<void> { return {}; });
  ASSERT_TRUE(first);
  auto second = relay_->listen(slot_, [](std::string_view) -> Result<void> { return {}; });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::listener_failed);
  EXPECT_NE(second.error().message.find("already waiting"), std::string::npos);
  first->reset();

  // A socket file left by a process that died (bound, never listening) does not block a new sign-in.
  const std::string path = redirect_socket_path(slot_);
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  ::close(fd);
  auto after_crash = relay_->listen(slot_, [](std::string_view) -> Result<void> { return {}; });
  ASSERT_TRUE(after_crash) << after_crash.error().message;
  EXPECT_TRUE(relay_->forward(slot_, "u", std::chrono::seconds(5)));
}

TEST_F(RedirectRelay, RefusesADirectoryOthersCanEnter) {
  ASSERT_EQ(::mkdir((run_.path() + "/nativeauth").c_str(), 0755), 0);
  ASSERT_EQ(::chmod((run_.path() + "/nativeauth").c_str(), 0755), 0);
  auto endpoint = relay_->listen(slot_, [](std::string_view) -> Result<void> { return {}; });
  ASSERT_FALSE(endpoint);
  EXPECT_EQ(endpoint.error().code, ErrorCode::listener_failed);
  EXPECT_NE(endpoint.error().message.find("chmod 700"), std::string::npos) << endpoint.error().message;
}

TEST_F(RedirectRelay, ALineBreakCannotSmuggleASecondUrl) {
  auto r = relay_->forward(slot_, "a\nb", std::chrono::seconds(5));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_redirect);
}

}  // namespace
}  // namespace nativeauth::posix
