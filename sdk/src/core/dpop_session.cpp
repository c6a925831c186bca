// SPDX-License-Identifier: Apache-2.0
// DPoP-bound sessions (RFC 9449) on a Client: the key a sign-in makes, proofs on token requests with one
// nonce retry, the key's end (replaced, signed out, sign-in failed), and Client::authorize() /
// send_authorized() for API calls. Not here: proofs and nonces themselves (dpop.cpp), where keys live
// (platform::KeyStore).
#include "core/client_impl.hpp"

#include "util/quote.hpp"
#include "util/secrets.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace nativeauth {
namespace {

constexpr char kAlgorithm[] = "ES256";

/// RFC 9110 §9.1: a method is a token.
bool valid_method(std::string_view method) {
  if (method.empty() || method.size() > 32) return false;
  return std::all_of(method.begin(), method.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' || c == '+' ||
           c == '^' || c == '`' || c == '|' || c == '~';
  });
}

bool is_dpop_type(const std::string &token_type) { return util::lower_ascii(token_type) == "dpop"; }

}  // namespace

Result<std::optional<NewDpopKey>> Client::Impl::dpop_key_for_sign_in(const oidc::ProviderMetadata &md) {
  if (options.dpop == Dpop::off) return std::optional<NewDpopKey>();
  const auto &algs = md.dpop_signing_alg_values_supported;
  if (std::find(algs.begin(), algs.end(), kAlgorithm) == algs.end()) {
    if (options.dpop == Dpop::when_offered) {
      log.debug("the provider offers no ES256 DPoP (dpop_signing_alg_values_supported): Bearer tokens");
      return std::optional<NewDpopKey>();
    }
    return make_error(ErrorCode::missing_endpoint,
                      "DPoP is required (ClientOptions::dpop), but the provider " + util::quoted(md.issuer) +
                          " does not list ES256 in dpop_signing_alg_values_supported (RFC 9449 §5.1)");
  }
  std::shared_ptr<platform::KeyStore> store = platform.keys;
  auto created = store->create(slot(), kAlgorithm);
  if (!created && created.error().code == ErrorCode::key_unavailable && !apps_key_store &&
      store->name() != "software") {
    // The platform's hardware store was found but cannot make a key now (a TPM without its library, a
    // device the user may not open): the session is still bound, by a software key, and the log says why.
    log.warning("the " + store->name() + " key store cannot make a DPoP key (" + created.error().message +
                "); using a software key kept in the session's record");
    store = platform::software_key_store();
    created = store->create(slot(), kAlgorithm);
  }
  if (!created) return std::move(created).error();
  NewDpopKey out;
  out.binding.key_store = store->name();
  out.binding.algorithm = kAlgorithm;
  out.binding.key_reference = std::move(created->reference);
  out.key = std::move(created->key);
  auto jkt = core::jwk_thumbprint(out.key->public_jwk());
  if (!jkt) {
    discard_key(out.binding);
    return std::move(jkt).error();
  }
  out.binding.jkt = std::move(*jkt);
  log.debug("made a DPoP key for this sign-in in the " + out.binding.key_store + " key store");
  return std::optional<NewDpopKey>(std::move(out));
}

Client::Impl::NewKeyGuard::~NewKeyGuard() {
  if (key && !keep) impl.discard_key(key->binding);
}

Result<std::shared_ptr<platform::KeyStore>> Client::Impl::key_store_named(const std::string &name) const {
  if (platform.keys && platform.keys->name() == name) return platform.keys;
  if (name == "software") return platform::software_key_store();
  return make_error(ErrorCode::key_unavailable, "the session's DPoP key is in the " + util::quoted(name, 40) +
                                                    " key store, which this app does not have; sign in again");
}

Result<std::shared_ptr<platform::ProofKey>> Client::Impl::proof_key(const DpopBinding &binding) {
  {
    std::lock_guard<std::mutex> lock(key_mutex);
    if (open_key.key && open_key.binding.jkt == binding.jkt) return open_key.key;
  }
  auto store = key_store_named(binding.key_store);
  if (!store) return std::move(store).error();
  auto opened = (*store)->open(slot(), binding.key_reference);
  if (!opened) return std::move(opened).error();
  std::shared_ptr<platform::ProofKey> key = std::move(*opened);
  // The key must still be the one the tokens are bound to (a record edited or mixed up is refused here,
  // before a proof goes out that the provider would refuse anyway).
  auto jkt = core::jwk_thumbprint(key->public_jwk());
  if (!jkt) return std::move(jkt).error();
  if (*jkt != binding.jkt) {
    return make_error(ErrorCode::key_unavailable,
                      "the session's DPoP key is not the one its tokens are bound to; sign in again");
  }
  std::lock_guard<std::mutex> lock(key_mutex);
  open_key.binding = DpopBinding{binding.key_store, binding.algorithm, binding.jkt, SecretString()};
  open_key.key = key;
  return key;
}

void Client::Impl::discard_key(const DpopBinding &binding, const std::optional<platform::SlotKey> &of) {
  {
    std::lock_guard<std::mutex> lock(key_mutex);
    if (open_key.binding.jkt == binding.jkt) open_key = NewDpopKey{};
  }
  auto store = key_store_named(binding.key_store);
  auto removed = store ? (*store)->remove(of.value_or(slot()), binding.key_reference) : Result<void>(store.error());
  if (!removed) log.warning("could not delete a DPoP key no session uses any more: " + removed.error().message);
}

Result<platform::HttpResponse> Client::Impl::send_with_proof(platform::HttpRequest request, platform::ProofKey *key,
                                                             const SecretString *access_token) {
  if (!key) return platform.http->send(request);
  const std::size_t header_at = request.headers.size();
  request.headers.emplace_back("DPoP", std::string());
  Result<platform::HttpResponse> response = make_error(ErrorCode::internal, "no attempt");
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string nonce = dpop_nonces.nonce_for(request.url);
    auto proof = core::make_proof(*key, {request.method, request.url, nonce, access_token, platform.clock->now()});
    if (!proof) return std::move(proof).error();
    util::wipe(request.headers[header_at].second);
    request.headers[header_at].second = std::string(proof->reveal());
    response = platform.http->send(request);
    if (!response) break;
    dpop_nonces.remember(request.url, *response);
    // RFC 9449 §8.2, §9.1: a server that wants a nonce says so once; a second refusal is its answer.
    if (attempt > 0 || !core::asks_for_nonce(*response)) break;
    log.debug("the server asked for a DPoP nonce; sending the request again with it");
  }
  util::wipe(request.headers[header_at].second);
  return response;
}

Result<bool> Client::Impl::bound_by_response(const std::string &token_type, const NewDpopKey *dpop) const {
  if (!dpop) {
    if (!is_dpop_type(token_type)) return false;
    return make_error(ErrorCode::invalid_token_response,
                      "the provider issued a DPoP-bound token although no DPoP proof was sent (RFC 9449 §5)");
  }
  if (is_dpop_type(token_type)) return true;
  if (options.dpop == Dpop::required) {
    return make_error(ErrorCode::invalid_token_response,
                      "DPoP is required (ClientOptions::dpop) but the provider issued a " +
                          util::quoted(token_type, 40) + " token instead of a DPoP-bound one (RFC 9449 §5)");
  }
  log.warning("the provider answered the DPoP token request with a " + util::quoted(token_type, 40) +
              " token; the session is not bound");
  return false;
}

Result<std::vector<std::pair<std::string, SecretString>>> Client::Impl::resource_headers(
    const SecretString &access_token, const std::string &token_type, const DpopBinding *binding,
    std::string_view method, std::string_view url) {
  std::vector<std::pair<std::string, SecretString>> out;
  if (!is_dpop_type(token_type)) {
    out.emplace_back("Authorization", SecretString("Bearer " + std::string(access_token.reveal())));
    return out;
  }
  if (!binding) return make_error(ErrorCode::key_unavailable, "the access token is DPoP-bound but no key is known");
  auto key = proof_key(*binding);
  if (!key) return std::move(key).error();
  auto proof = core::make_proof(**key, {method, url, dpop_nonces.nonce_for(url), &access_token, platform.clock->now()});
  if (!proof) return std::move(proof).error();
  out.emplace_back("Authorization", SecretString("DPoP " + std::string(access_token.reveal())));
  out.emplace_back("DPoP", std::move(*proof));
  return out;
}

Result<Client::Impl::TokenBinding> Client::Impl::binding_of(const AccessToken &token) {
  TokenBinding out;
  if (!is_dpop_type(token.token_type)) return out;
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    out.state = current;
  }
  // The common case, on every authorize(): the published session's binding, read in place (no copy of the
  // key reference, which for a software key is the private key).
  if (out.state && out.state->record.session.dpop && out.state->token.value == token.value) return out;
  out.state.reset();
  // The token came from the token cache (a new process that has not read the slot): the slot has the key.
  auto loaded = platform.store->load(slot());
  if (!loaded) return std::move(loaded).error();
  if (!loaded->has_value()) return make_error(ErrorCode::sign_in_required, "not signed in");
  auto record = core::parse_session_record(**loaded, slot());
  if (!record) return std::move(record).error();
  if (!record->session.dpop) {
    return make_error(ErrorCode::key_unavailable, "the access token is DPoP-bound but the session has no key");
  }
  out.read = std::move(record->session.dpop);
  return out;
}

Result<RequestAuthorization> Client::Impl::authorize_request(Client &client, std::string_view method,
                                                             std::string_view url,
                                                             const AccessTokenOptions &token_options) {
  if (!valid_method(method)) return make_error(ErrorCode::invalid_argument, "the HTTP method is not a token");
  if (!core::proof_target(url)) {
    return make_error(ErrorCode::invalid_argument, "the URL to authorize must be an absolute http(s) URL");
  }
  auto token = client.access_token(token_options);
  if (!token) return std::move(token).error();
  auto binding = binding_of(*token);
  if (!binding) return std::move(binding).error();
  auto headers = resource_headers(token->value, token->token_type, binding->get(), method, url);
  if (!headers) return std::move(headers).error();
  RequestAuthorization out;
  out.authorization = std::move((*headers)[0].second);
  if (headers->size() > 1) out.dpop = std::move((*headers)[1].second);
  out.expires_at = token->expires_at;
  return out;
}

Result<RequestAuthorization> Client::authorize(std::string_view method, std::string_view url,
                                               const AccessTokenOptions &options) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  try {
    return impl_->authorize_request(*this, method, url, options);
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("unexpected failure authorizing a request: ") + e.what());
  }
}

Result<void> Client::use_dpop_nonce(std::string_view url, std::string_view nonce) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  if (!impl_->dpop_nonces.remember(url, nonce)) {
    return make_error(ErrorCode::invalid_argument,
                      "not a DPoP nonce for an absolute http(s) URL: a nonce is 1 to 1024 printable ASCII characters "
                      "without '\"' or '\\' (RFC 9449 §8.1)");
  }
  return {};
}

Result<platform::HttpResponse> Client::send_authorized(platform::HttpRequest request,
                                                       const AccessTokenOptions &options) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  try {
    const std::size_t base = request.headers.size();
    Result<platform::HttpResponse> response = make_error(ErrorCode::internal, "no attempt");
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto auth = impl_->authorize_request(*this, request.method, request.url, options);
      if (!auth) return std::move(auth).error();
      for (std::size_t i = base; i < request.headers.size(); ++i) util::wipe(request.headers[i].second);
      request.headers.resize(base);
      request.headers.emplace_back("Authorization", std::string(auth->authorization.reveal()));
      if (!auth->dpop.empty()) request.headers.emplace_back("DPoP", std::string(auth->dpop.reveal()));
      response = impl_->platform.http->send(request);
      if (!response) break;
      impl_->dpop_nonces.remember(request.url, *response);
      // RFC 9449 §9: a resource server that wants a nonce answers 401 with it, once.
      if (attempt > 0 || auth->dpop.empty() || !core::asks_for_nonce(*response)) break;
      impl_->log.debug("the API asked for a DPoP nonce; sending the request again with it");
    }
    for (std::size_t i = base; i < request.headers.size(); ++i) util::wipe(request.headers[i].second);
    return response;
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("unexpected failure sending a request: ") + e.what());
  }
}

}  // namespace nativeauth
