// SPDX-License-Identifier: Apache-2.0
// What `nativeauth login --paste` makes of a pasted line (samples/cli/paste_login.cpp): the terminal's
// additions removed, nothing else changed; what it shows of a refused paste never reaches the query.
#include "paste_login.hpp"

#include <gtest/gtest.h>

namespace {

const std::string kUrl = "http://127.0.0.1:43210/callback?code=SECRETCODE&state=abc&iss=http%3A%2F%2Fop";

TEST(PastedUrl, BracketedPasteMarkersBlanksAndCarriageReturnsAreRemoved) {
  EXPECT_EQ(cli::pasted_url(kUrl), kUrl);
  EXPECT_EQ(cli::pasted_url("  \x1b[200~" + kUrl + "\x1b[201~\r"), kUrl);
  EXPECT_EQ(cli::pasted_url("\t" + kUrl + " \r"), kUrl);
  EXPECT_EQ(cli::pasted_url("\x1b[200~\x1b[201~"), "");
  EXPECT_EQ(cli::pasted_url(" \r"), "");
}

TEST(PastedUrl, AnAddressWithoutItsSchemeGetsHttp) {
  EXPECT_EQ(cli::pasted_url("127.0.0.1:43210/callback?code=x&state=y"),
            "http://127.0.0.1:43210/callback?code=x&state=y");
  EXPECT_EQ(cli::pasted_url("[::1]:43210/callback?state=y"), "http://[::1]:43210/callback?state=y");
  EXPECT_EQ(cli::pasted_url("localhost:43210/callback"), "localhost:43210/callback") << "only loopback literals";
}

TEST(PastedUrl, OtherEscapeSequencesStay) {
  EXPECT_EQ(cli::pasted_url("\x1b[31m" + kUrl), "\x1b[31m" + kUrl) << "left for the checks to refuse";
}

TEST(ShownPart, StopsBeforeTheQuery) {
  EXPECT_EQ(cli::shown_part(kUrl), "http://127.0.0.1:43210/callback…");
  EXPECT_EQ(cli::shown_part("code=SECRETCODE&state=abc"), "code…");
  EXPECT_EQ(cli::shown_part("http://127.0.0.1:1/x"), "http://127.0.0.1:1/x");
  EXPECT_EQ(cli::shown_part(std::string(300, 'a')), std::string(120, 'a') + "…");
}

TEST(RedirectUriOf, DecodesTheParameter) {
  EXPECT_EQ(cli::redirect_uri_of("http://op/auth?client_id=c&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcallback&s=1"),
            "http://127.0.0.1:5/callback");
  EXPECT_EQ(cli::redirect_uri_of("http://op/auth?redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcb"),
            "http://127.0.0.1:5/cb");
  EXPECT_EQ(cli::redirect_uri_of("http://op/auth?client_id=c"), "");
  EXPECT_EQ(cli::redirect_uri_of("http://op/auth?x_redirect_uri=a"), "");
}

}  // namespace
