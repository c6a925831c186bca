// SPDX-License-Identifier: Apache-2.0
// nativeauth CLI: `nativeauth login` today; status, token and logout join it with the keychain and refresh work.
#include "config.hpp"
#include "exit_codes.hpp"
#include "login.hpp"

#include <nativeauth/version.hpp>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

namespace {

std::optional<std::string> env(const char *name) {
  const char *v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"nativeauth: sign in to an OpenID Connect provider from the command line"};
  app.set_version_flag("--version", std::string("nativeauth ") + nativeauth::version());
  app.require_subcommand(1);

  cli::LoginArgs login;
  std::optional<std::string> issuer, client_id, scope;
  std::optional<std::uint16_t> port;
  std::vector<std::string> params;
  std::string profile = env("NATIVEAUTH_PROFILE").value_or("default");

  CLI::App *cmd = app.add_subcommand("login", "Sign in through the system browser");
  cmd->add_option("--issuer", issuer, "Issuer URL (or NATIVEAUTH_ISSUER, or the profile's)");
  cmd->add_option("--client-id", client_id, "OAuth client id (or NATIVEAUTH_CLIENT_ID, or the profile's)");
  cmd->add_option("--profile", profile, "Profile in " + cli::config_path() + " and storage slot (default: default)");
  cmd->add_option("--scope", scope, "Space-separated scopes (default: openid profile offline_access)");
  cmd->add_option("--port", port, "Fixed loopback port for the redirect (default: chosen by the OS)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--timeout", login.timeout_seconds, "Seconds to wait for the browser (default: 300)")
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("--no-browser", login.no_browser, "Do not open a browser; print the URL to open by hand");
  cmd->add_option("--param", params, "Extra authorization parameter key=value (repeatable)");
  cmd->add_option("--prompt", login.prompt, "OpenID prompt value, e.g. login or consent");
  cmd->add_option("--login-hint", login.login_hint, "Hint the account to sign in with");
  cmd->add_flag("--ipv6", login.ipv6, "Also listen on [::1] for the redirect");
  cmd->add_flag("-v,--verbose", login.verbose, "Log what happens (never secrets) to stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    const int rc = app.exit(e);
    return rc == 0 ? cli::kOk : cli::kUsage;
  }

  bool found = false;
  std::string config_error;
  const cli::Profile p = cli::load_profile(profile, &found, &config_error);
  if (!config_error.empty()) {
    std::cerr << "nativeauth: " << config_error << '\n';
    return cli::kUsage;
  }
  if (profile != "default" && !found && !issuer && !env("NATIVEAUTH_ISSUER")) {
    std::cerr << "nativeauth: no profile '" << profile << "' in " << cli::config_path() << '\n';
    return cli::kUsage;
  }
  // Flags win over the environment, which wins over the profile.
  login.issuer = issuer ? *issuer : env("NATIVEAUTH_ISSUER").value_or(p.issuer.value_or(""));
  login.client_id = client_id ? *client_id : env("NATIVEAUTH_CLIENT_ID").value_or(p.client_id.value_or(""));
  login.scope = scope ? *scope : p.scope.value_or("");
  login.port = port ? *port : p.port.value_or(0);
  login.profile = profile;
  login.params = p.params;
  for (const auto &kv : params) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "nativeauth: --param expects key=value, got '" << kv << "'\n";
      return cli::kUsage;
    }
    login.params.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (login.issuer.empty() || login.client_id.empty()) {
    std::cerr << "nativeauth: an issuer and a client id are needed: pass --issuer and --client-id, set "
                 "NATIVEAUTH_ISSUER and NATIVEAUTH_CLIENT_ID, or add a profile to "
              << cli::config_path() << '\n';
    return cli::kUsage;
  }
  return cli::run_login(login);
}
