// SPDX-License-Identifier: Apache-2.0
// nativeauth_client_*: the C view of nativeauth::Client — options in, tokens and session info out.
#include "capi.hpp"

#include "util/strings.hpp"

#include <chrono>
#include <cstddef>
#include <cstring>
#include <vector>

namespace nativeauth::capi {
namespace {

// The C enums mirror C++ ones by value; the casts below rely on it.
static_assert(NATIVEAUTH_EVENT_SIGNED_IN == static_cast<int>(SessionEventKind::signed_in));
static_assert(NATIVEAUTH_EVENT_REFRESHED == static_cast<int>(SessionEventKind::refreshed));
static_assert(NATIVEAUTH_EVENT_SIGNED_OUT == static_cast<int>(SessionEventKind::signed_out));
static_assert(NATIVEAUTH_EVENT_ENDED == static_cast<int>(SessionEventKind::ended));
static_assert(NATIVEAUTH_LOG_TRACE == static_cast<int>(LogLevel::trace));
static_assert(NATIVEAUTH_LOG_ERROR == static_cast<int>(LogLevel::error));
static_assert(NATIVEAUTH_LOG_OFF == static_cast<int>(LogLevel::off));

std::string str(const char *s) { return s ? std::string(s) : std::string(); }

// How many bytes of nativeauth_client_options an app built against `version` has: version 1 ends where
// version 2 appended pushed_authorization, version 2 where version 3 appended dpop. Nothing past them is read
// or written.
std::size_t client_options_size(std::uint32_t version) {
  if (version >= 3) return sizeof(nativeauth_client_options);
  if (version == 2) return offsetof(nativeauth_client_options, dpop);
  return offsetof(nativeauth_client_options, pushed_authorization);
}

// Version 2's fields, read only when the caller's struct has them.
int build_version_2(ClientOptions &o, const nativeauth_client_options &c) {
  if (c.version < 2) return 0;
  switch (c.pushed_authorization) {
    case NATIVEAUTH_PUSHED_AUTHORIZATION_WHEN_REQUIRED:
      o.pushed_authorization = PushedAuthorization::when_required;
      break;
    case NATIVEAUTH_PUSHED_AUTHORIZATION_ALWAYS: o.pushed_authorization = PushedAuthorization::always; break;
    default:
      return fail(ErrorCode::invalid_argument, "nativeauth_client_options.pushed_authorization " +
                                                   std::to_string(c.pushed_authorization) +
                                                   " is not a nativeauth_pushed_authorization");
  }
  return 0;
}

// Version 3's fields, read only when the caller's struct has them.
int build_version_3(ClientOptions &o, const nativeauth_client_options &c) {
  if (c.version < 3) return 0;
  switch (c.dpop) {
    case NATIVEAUTH_DPOP_OFF: o.dpop = Dpop::off; break;
    case NATIVEAUTH_DPOP_WHEN_OFFERED: o.dpop = Dpop::when_offered; break;
    case NATIVEAUTH_DPOP_REQUIRED: o.dpop = Dpop::required; break;
    default:
      return fail(ErrorCode::invalid_argument,
                  "nativeauth_client_options.dpop " + std::to_string(c.dpop) + " is not a nativeauth_dpop");
  }
  if (!c.host_keys) return 0;
  if (int rc = check_version("nativeauth_host_keys", c.host_keys->version, NATIVEAUTH_HOST_KEYS_VERSION)) return rc;
  return apply_host_keys(o, *c.host_keys);
}

std::int64_t unix_seconds(const std::optional<std::chrono::system_clock::time_point> &t) {
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

int build_options(ClientOptions &o, const nativeauth_client_options &c) {
  o.issuer = str(c.issuer);
  o.client_id = str(c.client_id);
  o.redirect.uri = str(c.redirect_uri);
  if (c.scopes) o.scopes = util::split_spaces(c.scopes);
  if (c.profile) o.profile = c.profile;
  switch (c.storage) {
    case NATIVEAUTH_STORAGE_KEYCHAIN: o.storage = StorageKind::keychain; break;
    case NATIVEAUTH_STORAGE_FILE: o.storage = StorageKind::file; break;
    case NATIVEAUTH_STORAGE_MEMORY: o.storage = StorageKind::memory; break;
    default:
      return fail(ErrorCode::invalid_argument,
                  "nativeauth_client_options.storage " + std::to_string(c.storage) + " is not a nativeauth_storage");
  }
  o.file_store.directory = str(c.file_store_directory);
  o.keychain.app_name = str(c.app_name);
  o.ca_bundle = str(c.ca_bundle);
  if (c.refresh_margin_s < 0 || c.clock_leeway_s < 0 || c.request_timeout_ms < 0) {
    return fail(ErrorCode::invalid_argument, "nativeauth_client_options: margins and timeouts must not be negative");
  }
  if (c.refresh_margin_s) o.refresh_margin = std::chrono::seconds(c.refresh_margin_s);
  if (c.clock_leeway_s) o.clock_leeway = std::chrono::seconds(c.clock_leeway_s);
  if (c.request_timeout_ms) o.request_timeout = std::chrono::milliseconds(c.request_timeout_ms);
  if (c.log_level < NATIVEAUTH_LOG_TRACE || c.log_level > NATIVEAUTH_LOG_OFF) {
    return fail(ErrorCode::invalid_argument, "nativeauth_client_options.log_level " + std::to_string(c.log_level) +
                                                 " is not a nativeauth_log_level");
  }
  o.log_level = static_cast<LogLevel>(c.log_level);
  if (int rc = build_version_2(o, c)) return rc;
  if (int rc = build_version_3(o, c)) return rc;
  nativeauth_host none = NATIVEAUTH_HOST_INIT;
  if (c.host) {
    if (int rc = check_version("nativeauth_host", c.host->version, NATIVEAUTH_HOST_VERSION)) return rc;
  }
  return apply_host(o, c.host ? *c.host : none);
}

int access_token_options(AccessTokenOptions &o, const nativeauth_access_token_options *options) {
  if (!options) return 0;
  if (int rc = check_version("nativeauth_access_token_options", options->version,
                             NATIVEAUTH_ACCESS_TOKEN_OPTIONS_VERSION)) {
    return rc;
  }
  if (options->min_ttl_s >= 0) o.min_ttl = std::chrono::seconds(options->min_ttl_s);
  o.force_refresh = options->force_refresh != 0;
  return 0;
}

struct SessionInfoDeleter {
  void operator()(nativeauth_session_info *i) const noexcept { nativeauth_session_info_free(i); }
};

}  // namespace
}  // namespace nativeauth::capi

using namespace nativeauth;
using capi::fail;
using capi::guarded;

extern "C" {

int nativeauth_client_options_init(nativeauth_client_options *options, uint32_t version) {
  return guarded([&] {
    if (!options) return fail(ErrorCode::invalid_argument, "nativeauth_client_options_init: options is NULL");
    if (int rc = capi::check_version("nativeauth_client_options", version, NATIVEAUTH_CLIENT_OPTIONS_VERSION))
      return rc;
    const nativeauth_client_options init = NATIVEAUTH_CLIENT_OPTIONS_INIT;
    std::memcpy(options, &init, capi::client_options_size(version));
    options->version = version;
    return 0;
  });
}

int nativeauth_client_new(nativeauth_client **out, const nativeauth_client_options *options) {
  return guarded([&] {
    if (!out) return fail(ErrorCode::invalid_argument, "nativeauth_client_new: out is NULL");
    *out = nullptr;
    if (!options) return fail(ErrorCode::invalid_argument, "nativeauth_client_new: options is NULL");
    if (int rc = capi::check_version("nativeauth_client_options", options->version,
                                     NATIVEAUTH_CLIENT_OPTIONS_VERSION)) {
      return rc;
    }
    ClientOptions o;
    if (int rc = capi::build_options(o, *options)) return rc;
    auto client = Client::create(std::move(o));
    if (!client) return fail(client.error());
    auto handle = std::make_unique<nativeauth_client>();
    handle->client = std::make_shared<Client>(std::move(*client));
    *out = handle.release();
    return 0;
  });
}

int nativeauth_forward_redirect(const nativeauth_client_options *options, const char *url) {
  return guarded([&] {
    if (!options || !url)
      return fail(ErrorCode::invalid_argument, "nativeauth_forward_redirect: options or url is NULL");
    if (int rc = capi::check_version("nativeauth_client_options", options->version,
                                     NATIVEAUTH_CLIENT_OPTIONS_VERSION)) {
      return rc;
    }
    ClientOptions o;
    if (int rc = capi::build_options(o, *options)) return rc;
    auto forwarded = forward_redirect(o, url);
    if (!forwarded) return fail(forwarded.error());
    return 0;
  });
}

void nativeauth_client_free(nativeauth_client *client) {
  // Destroying a Client cannot throw (its members' destructors are noexcept).
  delete client;
}

int nativeauth_client_access_token(char **out_token, int64_t *out_expires_at, nativeauth_client *client,
                                   const nativeauth_access_token_options *options) {
  return guarded([&] {
    if (!out_token) return fail(ErrorCode::invalid_argument, "nativeauth_client_access_token: out_token is NULL");
    *out_token = nullptr;
    if (out_expires_at) *out_expires_at = 0;
    if (!client) return fail(ErrorCode::invalid_argument, "nativeauth_client_access_token: client is NULL");
    AccessTokenOptions o;
    if (int rc = capi::access_token_options(o, options)) return rc;
    auto token = client->client->access_token(o);
    if (!token) return fail(token.error());
    *out_token = capi::dup(token->value.reveal());
    if (out_expires_at) *out_expires_at = capi::unix_seconds(token->expires_at);
    return 0;
  });
}

int nativeauth_client_authorize(char **out_authorization, char **out_dpop, int64_t *out_expires_at,
                                nativeauth_client *client, const char *method, const char *url,
                                const nativeauth_access_token_options *options) {
  return guarded([&] {
    if (!out_authorization || !out_dpop) {
      return fail(ErrorCode::invalid_argument, "nativeauth_client_authorize: out_authorization or out_dpop is NULL");
    }
    *out_authorization = nullptr;
    *out_dpop = nullptr;
    if (out_expires_at) *out_expires_at = 0;
    if (!client || !method || !url) {
      return fail(ErrorCode::invalid_argument, "nativeauth_client_authorize: client, method or url is NULL");
    }
    AccessTokenOptions o;
    if (int rc = capi::access_token_options(o, options)) return rc;
    auto auth = client->client->authorize(method, url, o);
    if (!auth) return fail(auth.error());
    std::unique_ptr<char, void (*)(char *)> authorization(capi::dup(auth->authorization.reveal()),
                                                          nativeauth_secret_free);
    if (!auth->dpop.empty()) *out_dpop = capi::dup(auth->dpop.reveal());
    *out_authorization = authorization.release();
    if (out_expires_at) *out_expires_at = capi::unix_seconds(auth->expires_at);
    return 0;
  });
}

int nativeauth_client_session(nativeauth_session_info **out, nativeauth_client *client) {
  return guarded([&] {
    if (!out) return fail(ErrorCode::invalid_argument, "nativeauth_client_session: out is NULL");
    *out = nullptr;
    if (!client) return fail(ErrorCode::invalid_argument, "nativeauth_client_session: client is NULL");
    auto loaded = client->client->load_session();
    if (!loaded) return fail(loaded.error());
    if (!loaded->has_value()) return 0;
    const Session &s = **loaded;
    std::unique_ptr<nativeauth_session_info, capi::SessionInfoDeleter> info(
        static_cast<nativeauth_session_info *>(std::calloc(1, sizeof(nativeauth_session_info))));
    if (!info) throw std::bad_alloc();
    info->issuer = capi::dup(s.issuer);
    info->client_id = capi::dup(s.client_id);
    info->profile = capi::dup(s.profile);
    info->subject = capi::dup(s.claims.subject());
    info->name = capi::dup(s.claims.string("name").value_or(""));
    info->scopes = capi::dup(util::join(s.scopes, " "));
    info->claims_json = capi::dup(s.claims.json());
    info->access_token_expiry = capi::unix_seconds(s.access_token_expiry);
    info->issued_at = capi::unix_seconds(s.issued_at);
    info->has_refresh_token = s.refresh_token.empty() ? 0 : 1;
    *out = info.release();
    return 0;
  });
}

void nativeauth_session_info_free(nativeauth_session_info *info) {
  if (!info) return;
  for (char *s :
       {info->issuer, info->client_id, info->profile, info->subject, info->name, info->scopes, info->claims_json}) {
    std::free(s);
  }
  std::free(info);
}

int nativeauth_client_sign_out(nativeauth_sign_out_report **out_report, nativeauth_client *client,
                               const nativeauth_sign_out_options *options) {
  return guarded([&] {
    if (out_report) *out_report = nullptr;
    if (!client) return fail(ErrorCode::invalid_argument, "nativeauth_client_sign_out: client is NULL");
    SignOutOptions o;
    if (options) {
      if (int rc = capi::check_version("nativeauth_sign_out_options", options->version,
                                       NATIVEAUTH_SIGN_OUT_OPTIONS_VERSION)) {
        return rc;
      }
      o.local_only = options->local_only != 0;
      o.all_apps = options->all_apps != 0;
      o.end_provider_session = options->end_provider_session != 0;
      if (options->timeout_s) o.timeout = std::chrono::seconds(options->timeout_s);
    }
    auto done = client->client->sign_out(o);
    if (!done) return fail(done.error());
    if (out_report) {
      auto *r = static_cast<nativeauth_sign_out_report *>(std::calloc(1, sizeof(nativeauth_sign_out_report)));
      if (!r) throw std::bad_alloc();
      std::unique_ptr<nativeauth_sign_out_report, void (*)(nativeauth_sign_out_report *)> guard(
          r, nativeauth_sign_out_report_free);
      r->slots_erased = done->slots_erased;
      r->tokens_revoked = done->tokens_revoked;
      r->provider_session_ended = done->provider_session_ended ? 1 : 0;
      r->problem_count = static_cast<std::int32_t>(done->problems.size());
      std::string lines;
      for (const auto &p : done->problems) lines += p.to_string() + "\n";
      r->problems = capi::dup(lines);
      *out_report = guard.release();
    }
    return 0;
  });
}

void nativeauth_sign_out_report_free(nativeauth_sign_out_report *report) {
  if (!report) return;
  std::free(report->problems);
  std::free(report);
}

int nativeauth_client_subscribe(uint64_t *out_id, nativeauth_client *client, nativeauth_event_cb callback,
                                void *payload) {
  return guarded([&] {
    if (!out_id || !client || !callback) {
      return fail(ErrorCode::invalid_argument, "nativeauth_client_subscribe: out_id, client or callback is NULL");
    }
    *out_id = client->client->subscribe([callback, payload](const SessionEvent &e) {
      nativeauth_event c{};
      c.kind = static_cast<std::int32_t>(e.kind);
      c.issuer = e.issuer.c_str();
      c.client_id = e.client_id.c_str();
      c.profile = e.profile.c_str();
      c.subject = e.subject.c_str();
      capi::ErrorHolder reason;
      if (e.reason) {
        reason.set(*e.reason);
        c.reason = reason.get();
      }
      callback(&c, payload);
    });
    return 0;
  });
}

int nativeauth_client_unsubscribe(nativeauth_client *client, uint64_t id) {
  return guarded([&] {
    if (!client) return fail(ErrorCode::invalid_argument, "nativeauth_client_unsubscribe: client is NULL");
    client->client->unsubscribe(id);
    return 0;
  });
}

}  // extern "C"
