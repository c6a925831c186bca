// SPDX-License-Identifier: Apache-2.0
// nativeauth CLI: login, status, token, logout, handle-redirect, register-scheme, completion. Flags, environment and exit codes are a contract (docs/cli.md).
#include "command_model.hpp"
#include "common.hpp"
#include "completion.hpp"
#include "config.hpp"
#include "console.hpp"
#include "dpop_cli.hpp"
#include "exit_codes.hpp"
#include "git_credential.hpp"
#include "kubectl_credential.hpp"
#include "login.hpp"
#include "logout.hpp"
#include "man_page.hpp"
#include "redirect.hpp"
#include "status.hpp"
#include "terminal.hpp"
#include "token.hpp"
#include "unlock.hpp"

#include <nativeauth/version.hpp>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace {

std::optional<std::string> env(const char *name) {
  const char *v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

/// The options every command takes, as given on the command line (unset when absent).
struct TargetFlags {
  std::optional<std::string> issuer, client_id, storage;
  std::string profile = env("NATIVEAUTH_PROFILE").value_or("default");
  bool verbose = false;

  void add_to(CLI::App *cmd) {
    cmd->add_flag("-v,--verbose", verbose, "Log what happens (never secrets) to stderr");
    cmd->add_option("--issuer", issuer, "Issuer URL (or NATIVEAUTH_ISSUER, or the profile's)")->type_name("URL");
    cmd->add_option("--client-id", client_id, "OAuth client id (or NATIVEAUTH_CLIENT_ID, or the profile's)")
        ->type_name("ID");
    cmd->add_option("--profile", profile,
                    "Profile in $XDG_CONFIG_HOME/nativeauth/config.json, and the session slot (default: default)")
        ->type_name("NAME");
    cmd->add_option("--storage", storage,
                    "Where sessions are kept: keychain (default), encrypted-file (a passphrase; see `unlock`) or "
                    "file (0600 files); or NATIVEAUTH_STORAGE")
        ->check(CLI::IsMember(cli::storage_names()));
  }
};

/// Flags win over the environment, which wins over the profile. Returns an exit code on error.
std::optional<int> resolve(const TargetFlags &flags, bool need_client, cli::Target *target, cli::Profile *profile,
                           bool *client_given) {
  bool found = false;
  std::string config_error;
  *profile = cli::load_profile(flags.profile, &found, &config_error);
  if (!config_error.empty()) {
    std::cerr << "nativeauth: " << config_error << '\n';
    return cli::kUsage;
  }
  if (flags.profile != "default" && !found && !flags.issuer && !env("NATIVEAUTH_ISSUER")) {
    std::cerr << "nativeauth: no profile '" << flags.profile << "' in " << cli::config_path() << '\n';
    return cli::kUsage;
  }
  target->issuer = flags.issuer ? *flags.issuer : env("NATIVEAUTH_ISSUER").value_or(profile->issuer.value_or(""));
  target->client_id = flags.client_id ? *flags.client_id
                                      : env("NATIVEAUTH_CLIENT_ID").value_or(profile->client_id.value_or(""));
  target->profile = flags.profile;
  target->verbose = flags.verbose;
  *client_given = !target->client_id.empty();
  const std::string storage = flags.storage ? *flags.storage : env("NATIVEAUTH_STORAGE").value_or("keychain");
  const auto kind = cli::parse_storage(storage);
  if (!kind) {
    std::cerr << "nativeauth: --storage must be keychain, encrypted-file or file, not '" << storage << "'\n";
    return cli::kUsage;
  }
  target->storage = *kind;
  if (target->issuer.empty() || (need_client && target->client_id.empty())) {
    std::cerr << "nativeauth: an issuer" << (need_client ? " and a client id are" : " is") << " needed: pass --issuer"
              << (need_client ? " and --client-id" : "") << ", set NATIVEAUTH_ISSUER"
              << (need_client ? " and NATIVEAUTH_CLIENT_ID" : "") << ", or add a profile to " << cli::config_path()
              << '\n';
    return cli::kUsage;
  }
  if (target->client_id.empty()) target->client_id = "nativeauth-cli";  // only names the listing client
  if (target->storage == nativeauth::StorageKind::file) {
    std::cerr << "nativeauth: warning: sessions are kept in files under $XDG_STATE_HOME/nativeauth, protected only "
                 "by file permissions (0600)\n";
  }
  return std::nullopt;
}

/// `login`'s flags that are resolved against the profile before they become LoginArgs.
struct LoginArgsFlags {
  cli::LoginArgs args;
  std::optional<std::string> scope;
  std::optional<std::uint16_t> port;
  std::vector<std::string> params;
  std::optional<std::string> redirect;
};

/// Every command's flags, as the parser fills them; each add_* defines one command.
struct Commands {
  TargetFlags login_target;
  LoginArgsFlags login;
  CLI::App *login_cmd = nullptr;

  TargetFlags forward_target;
  std::optional<std::string> forward_redirect_uri;
  std::string forward_url;
  CLI::App *forward_cmd = nullptr;

  TargetFlags scheme_target;
  cli::SchemeArgs scheme;
  CLI::App *scheme_cmd = nullptr;

  TargetFlags status_target;
  bool json = false;
  CLI::App *status_cmd = nullptr;

  TargetFlags token_target;
  int min_ttl = -1;
  bool token_json = false, token_id = false, token_header = false;
  CLI::App *token_cmd = nullptr;

  TargetFlags logout_target;
  cli::LogoutArgs logout;
  std::optional<std::uint16_t> logout_port;
  CLI::App *logout_cmd = nullptr;

  std::string completion_shell;
  CLI::App *completion_cmd = nullptr;
  std::string build_files_dir;
  CLI::App *build_files_cmd = nullptr;

  TargetFlags kubectl_target;
  cli::KubectlArgs kubectl;
  std::string kubectl_token = "id";
  CLI::App *kubectl_cmd = nullptr;

  TargetFlags git_target;
  cli::GitCredentialArgs git;
  CLI::App *git_cmd = nullptr;

  cli::UnlockArgs unlock;
  CLI::App *unlock_cmd = nullptr;
  CLI::App *lock_cmd = nullptr;

  std::optional<std::string> login_dpop;  ///< `login --dpop[=required|offered|off]`
  cli::HeaderRequest token_request;       ///< `token --header --method M --url U --nonce N`
};

void add_login(CLI::App &app, Commands &c) {
  auto &l = c.login;
  c.login_cmd = app.add_subcommand("login", "Sign in through the system browser");
  CLI::App *cmd = c.login_cmd;
  c.login_target.add_to(cmd);
  cmd->add_option("--scope", l.scope, "Space-separated scopes (default: openid profile offline_access)");
  cmd->add_option("--port", l.port, "Fixed loopback port for the redirect (default: chosen by the OS)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--timeout", l.args.timeout_seconds, "Seconds to wait for the browser (default: 300)")
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("--no-browser", l.args.no_browser, "Do not open a browser; print the URL to open by hand");
  cmd->add_option("--param", l.params, "Extra authorization parameter key=value (repeatable)");
  cmd->add_option("--prompt", l.args.prompt, "OpenID prompt value, e.g. login or consent");
  cmd->add_option("--login-hint", l.args.login_hint, "Hint the account to sign in with");
  cmd->add_flag("--ipv6", l.args.ipv6, "Also listen on [::1] for the redirect");
  auto *device_flag = cmd->add_flag("--device", l.args.device,
                                    "Sign in with a code entered on another device (RFC 8628 device flow)");
  cmd->add_flag("--browser", l.args.browser, "Use the browser flow even in an SSH session without a display")
      ->excludes(device_flag);
  cmd->add_option("--redirect-uri", l.redirect,
                  "Registered custom-scheme redirect, e.g. com.example.app:/callback (or NATIVEAUTH_REDIRECT_URI; "
                  "default: loopback)");
}

/// `login --paste`: paste-back sign-in (samples/cli/paste_login.hpp); call after add_login().
void add_login_paste(Commands &c) {
  CLI::App *cmd = c.login_cmd;
  cmd->add_flag("--paste", c.login.args.paste,
                "Print the URL to open in a browser on any machine, then read back the 127.0.0.1 address it "
                "could not load (no listener, no browser here)")
      ->excludes(cmd->get_option("--device"))
      ->excludes(cmd->get_option("--browser"));
}

/// `login --par`: Pushed Authorization Requests (RFC 9126) even when the provider does not require them; call
/// after add_login().
void add_login_par(Commands &c) {
  CLI::App *cmd = c.login_cmd;
  cmd->add_flag("--par", c.login.args.par,
                "Push the sign-in request to the provider first (RFC 9126), so the browser gets only a reference "
                "to it; used by itself when the provider requires it")
      ->excludes(cmd->get_option("--device"));
}

void add_handle_redirect(CLI::App &app, Commands &c) {
  c.forward_cmd = app.add_subcommand("handle-redirect",
                                     "Hand a redirect URL to the `login` waiting for it (run by the OS)");
  c.forward_target.add_to(c.forward_cmd);
  c.forward_cmd->add_option("--redirect-uri", c.forward_redirect_uri, "The registered redirect URI, checked first");
  c.forward_cmd->add_option("url", c.forward_url, "The redirect URL the OS passed")->required();
}

void add_register_scheme(CLI::App &app, Commands &c) {
  c.scheme_cmd = app.add_subcommand("register-scheme",
                                    "Make this program the user's handler of a custom redirect scheme (xdg-mime)");
  c.scheme_target.add_to(c.scheme_cmd);
  c.scheme_cmd->add_option("scheme", c.scheme.scheme, "Reverse-domain scheme, e.g. com.example.app")->required();
  c.scheme_cmd->add_flag("--unregister", c.scheme.unregister, "Remove the registration made earlier");
}

void add_status_and_token(CLI::App &app, Commands &c) {
  c.status_cmd = app.add_subcommand("status", "Show the sessions of an issuer kept on this machine");
  c.status_target.add_to(c.status_cmd);
  c.status_cmd->add_flag("--json", c.json, "Machine-readable output");

  c.token_cmd = app.add_subcommand("token", "Print a valid access token, refreshing it silently if needed");
  c.token_target.add_to(c.token_cmd);
  c.token_cmd->add_option("--min-ttl", c.min_ttl, "Refresh unless the token stays valid this many seconds (default 60)")
      ->check(CLI::Range(0, 86400));
  auto *as_json = c.token_cmd->add_flag(
      "--json", c.token_json,
      "Print {access_token, token_type, expires_at, expires_in, scopes} (never the refresh token)");
  auto *as_id = c.token_cmd->add_flag("--id-token", c.token_id, "Print the session's ID token instead");
  auto *as_header = c.token_cmd->add_flag(
      "--header", c.token_header,
      "Print the headers a request needs, one per line (`curl -H @-`): `Authorization: Bearer ...`, or for a "
      "DPoP-bound session `Authorization: DPoP ...` and `DPoP: <proof>` (needs --url)");
  as_json->excludes(as_id)->excludes(as_header);
  as_id->excludes(as_header);
}

void add_logout(CLI::App &app, Commands &c) {
  c.logout_cmd = app.add_subcommand("logout", "Sign out: revoke, end the provider session, forget it here");
  c.logout_target.add_to(c.logout_cmd);
  c.logout_cmd->add_flag("--local", c.logout.local, "Only forget the session on this machine");
  c.logout_cmd->add_flag("--all-apps", c.logout.all_apps, "Sign out every app of this provider on this machine");
  c.logout_cmd->add_flag("--no-browser", c.logout.no_browser, "Do not open a browser; print the sign-out URL");
  c.logout_cmd->add_option("--timeout", c.logout.timeout_seconds, "Seconds to wait for the browser (default: 120)")
      ->check(CLI::Range(1, 86400));
  c.logout_cmd
      ->add_option("--port", c.logout_port,
                   "Fixed loopback port for the post-logout redirect http://127.0.0.1:PORT/logout (default: the "
                   "profile's port, else chosen by the OS)")
      ->check(CLI::Range(1, 65535));
}

/// DPoP (RFC 9449): `login --dpop` and `token --header`'s request (dpop_cli.hpp); call after add_login() and
/// add_status_and_token().
void add_dpop(Commands &c) {
  c.login_cmd
      ->add_flag("--dpop{required}", c.login_dpop,
                 "Bind the session to a key of this machine (DPoP, RFC 9449; a TPM when there is one): --dpop or "
                 "--dpop=required, --dpop=offered (only when the provider offers it), --dpop=off")
      ->check(CLI::IsMember(cli::dpop_names()));
  CLI::App *token = c.token_cmd;
  CLI::Option *header = token->get_option("--header");
  token->add_option("--url", c.token_request.url, "With --header: the URL the request goes to (the DPoP proof's)")
      ->type_name("URL")
      ->needs(header);
  token->add_option("--method", c.token_request.method, "With --header: the request's HTTP method (default: GET)")
      ->type_name("METHOD")
      ->needs(header);
  token
      ->add_option("--nonce", c.token_request.nonce,
                   "With --header: the DPoP-Nonce the server sent in its 401 to the last request (RFC 9449 §9)")
      ->type_name("NONCE")
      ->needs(header);
}

/// `completion` and the hidden `build-files` (run by the build): both render the definitions above.
void add_generated_docs(CLI::App &app, Commands &c) {
  c.completion_cmd = app.add_subcommand("completion", "Print a completion script for bash, zsh or fish");
  c.completion_cmd->add_option("shell", c.completion_shell, "The shell the script is for")
      ->required()
      ->check(CLI::IsMember(cli::completion_shells()));
  c.completion_cmd->footer("  bash: source <(nativeauth completion bash)\n"
                           "  zsh:  nativeauth completion zsh > \"${fpath[1]}/_nativeauth\"\n"
                           "  fish: nativeauth completion fish > ~/.config/fish/completions/nativeauth.fish");
  c.build_files_cmd = app.add_subcommand("build-files", "Write nativeauth.1 and the completion scripts");
  c.build_files_cmd->group("");  // hidden: not in --help, the completions or the man page
  c.build_files_cmd->add_option("--output-dir", c.build_files_dir, "An existing directory")->required();
}

/// Renders `completion` and `build-files` from the parser's own definitions.
int run_generated_docs(const CLI::App &app, const Commands &c) {
  const cli::CommandModel model = cli::read_model(app, "nativeauth");
  if (c.completion_cmd->parsed()) {
    std::cout << cli::completion_script(model, c.completion_shell);
    return std::cout.flush() ? cli::kOk : cli::kFailure;
  }
  const std::pair<std::string, std::string> files[] = {
      {"nativeauth.1", cli::man_page(model, nativeauth::version())},
      {"nativeauth.bash", cli::completion_script(model, "bash")},
      {"_nativeauth", cli::completion_script(model, "zsh")},
      {"nativeauth.fish", cli::completion_script(model, "fish")},
  };
  for (const auto &[name, text] : files) {
    const std::string path = c.build_files_dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::cerr << "nativeauth: could not write " << path << '\n';
      return cli::kFailure;
    }
  }
  return cli::kOk;
}

void add_kubectl_credential(CLI::App &app, Commands &c) {
  c.kubectl_cmd = app.add_subcommand(
      "kubectl-credential", "kubectl exec credential plugin: print an ExecCredential with the ID or access token");
  c.kubectl_target.add_to(c.kubectl_cmd);
  c.kubectl_cmd
      ->add_option("--token", c.kubectl_token, "Which token kubectl sends: id (the ID token, default) or access")
      ->check(CLI::IsMember({"id", "access"}));
  c.kubectl_cmd
      ->add_option("--min-ttl", c.kubectl.min_ttl_seconds,
                   "Renew the token unless it stays valid this many seconds (default 60, at most half its lifetime)")
      ->check(CLI::Range(0, 86400));
}

void add_git_credential(CLI::App &app, Commands &c) {
  c.git_cmd = app.add_subcommand("git-credential",
                                 "git credential helper: the access token as the password (git appends the action)");
  c.git_target.add_to(c.git_cmd);
  c.git_cmd->add_option("--username", c.git.username, "Username answered beside the token (default: oauth2)");
  c.git_cmd->add_option("--min-ttl", c.git.min_ttl_seconds, "Refresh unless the token stays valid this many seconds")
      ->check(CLI::Range(0, 86400));
  c.git_cmd
      ->add_option("--host", c.git.hosts, "Only answer for this host (as git names it: host or host:port); repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c.git_cmd->add_option("action", c.git.action, "get, store or erase (others are ignored)")->required();
}

/// `unlock` and `lock`: the passphrase-protected store's key in and out of the kernel keyring (unlock.hpp).
void add_unlock_and_lock(CLI::App &app, Commands &c) {
  c.unlock_cmd = app.add_subcommand(
      "unlock", "Ask the encrypted store's passphrase once and keep its key in the kernel keyring for a while");
  c.unlock_cmd
      ->add_option("--for", c.unlock.duration,
                   "How long the key stays (90s, 15m, 8h, 1d; default 8h); the passphrase is read from the terminal, "
                   "or one line of stdin when it is not one")
      ->type_name("DURATION");
  c.lock_cmd = app.add_subcommand("lock", "Remove the encrypted store's key from the kernel keyring now");
}

/// `login`: flags over the profile's defaults, then the sign-in.
int run_login_command(Commands &c) {
  cli::Profile profile;
  bool client_given = false;
  cli::LoginArgs &login = c.login.args;
  if (auto rc = resolve(c.login_target, true, &login.target, &profile, &client_given)) return *rc;
  login.target.redirect_uri = c.login.redirect ? *c.login.redirect : env("NATIVEAUTH_REDIRECT_URI").value_or("");
  login.scope = c.login.scope ? *c.login.scope : profile.scope.value_or("");
  login.port = c.login.port ? *c.login.port : profile.port.value_or(0);
  login.params = profile.params;
  if (auto rc = cli::resolve_dpop(c.login_dpop, profile.dpop, &login.dpop)) return *rc;
  for (const auto &kv : c.login.params) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "nativeauth: --param expects key=value, got '" << kv << "'\n";
      return cli::kUsage;
    }
    login.params.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return cli::run_login(login);
}

/// Runs the command the parser saw; returns the process exit code.
int dispatch(const CLI::App &app, Commands &c) {
  if (c.completion_cmd->parsed() || c.build_files_cmd->parsed()) return run_generated_docs(app, c);
  cli::Profile profile;
  bool client_given = false;
  cli::Target target;
  if (c.status_cmd->parsed()) {
    if (auto rc = resolve(c.status_target, false, &target, &profile, &client_given)) return *rc;
    return cli::run_status(target, client_given, c.json);
  }
  if (c.token_cmd->parsed()) {
    if (auto rc = resolve(c.token_target, true, &target, &profile, &client_given)) return *rc;
    if (c.token_header) return cli::run_token_headers(target, c.min_ttl, c.token_request);
    const auto form = c.token_json     ? cli::TokenForm::json
                      : c.token_id     ? cli::TokenForm::id_token
                      : c.token_header ? cli::TokenForm::header
                                       : cli::TokenForm::bare;
    return cli::run_token(target, c.min_ttl, form);
  }
  if (c.forward_cmd->parsed()) {
    if (auto rc = resolve(c.forward_target, true, &target, &profile, &client_given)) return *rc;
    target.redirect_uri = c.forward_redirect_uri ? *c.forward_redirect_uri
                                                 : env("NATIVEAUTH_REDIRECT_URI").value_or("");
    return cli::run_handle_redirect(target, c.forward_url);
  }
  if (c.scheme_cmd->parsed()) {
    if (c.scheme.unregister) return cli::run_register_scheme(c.scheme);
    if (auto rc = resolve(c.scheme_target, true, &c.scheme.target, &profile, &client_given)) return *rc;
    return cli::run_register_scheme(c.scheme);
  }
  if (c.kubectl_cmd->parsed()) {
    if (auto rc = resolve(c.kubectl_target, true, &c.kubectl.login.target, &profile, &client_given)) return *rc;
    c.kubectl.token = c.kubectl_token == "access" ? cli::KubeToken::access : cli::KubeToken::id;
    cli::apply_profile(profile, &c.kubectl);
    return cli::run_kubectl_credential(c.kubectl);
  }
  if (c.git_cmd->parsed()) {
    if (auto rc = resolve(c.git_target, true, &c.git.target, &profile, &client_given)) return *rc;
    return cli::run_git_credential(c.git, std::cin, std::cout);
  }
  if (c.unlock_cmd->parsed() || c.lock_cmd->parsed()) {
    return c.unlock_cmd->parsed() ? cli::run_unlock(c.unlock) : cli::run_lock();
  }
  if (c.logout_cmd->parsed()) {
    if (auto rc = resolve(c.logout_target, true, &c.logout.target, &profile, &client_given)) return *rc;
    c.logout.port = c.logout_port ? *c.logout_port : profile.port.value_or(0);  // as `login --port`
    return cli::run_logout(c.logout);
  }
  return run_login_command(c);
}

}  // namespace

int main(int argc, char **argv) {
  cli::console::prepare_standard_streams();
  cli::guard_terminal_output();  // before anything is printed: nothing from outside acts on the terminal
  CLI::App app{"nativeauth: sign in to an OpenID Connect provider from the command line"};
  app.set_version_flag("--version", std::string("nativeauth ") + nativeauth::version());
  app.require_subcommand(1);
  Commands commands;
  add_login(app, commands);
  add_login_paste(commands);
  add_login_par(commands);
  add_handle_redirect(app, commands);
  add_register_scheme(app, commands);
  add_status_and_token(app, commands);
  add_logout(app, commands);
  add_dpop(commands);
  add_kubectl_credential(app, commands);
  add_git_credential(app, commands);
  add_unlock_and_lock(app, commands);
  add_generated_docs(app, commands);
  try {
    cli::console::Arguments arguments(argc, argv);
    app.parse(arguments.argc(), arguments.argv());
  } catch (const CLI::ParseError &e) {
    const int rc = app.exit(e);
    return rc == 0 ? cli::kOk : cli::kUsage;
  }
  return dispatch(app, commands);
}
