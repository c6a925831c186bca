// SPDX-License-Identifier: Apache-2.0
// The access-token cache (token_cache.hpp): entries, the store decorator that writes them after the slot,
// and access_token()'s read of it in a process that holds no session yet. The entry is checked against
// the slot it is read for and the freshness asked for; anything odd about it is a miss, never an error:
// the store is always there to ask.
#include "core/token_cache.hpp"

#include "core/client_impl.hpp"
#include "core/json_util.hpp"
#include "core/record.hpp"

namespace nativeauth::core {
namespace {

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

class InStepStore final : public platform::CredentialStore {
 public:
  InStepStore(std::shared_ptr<platform::CredentialStore> store, std::shared_ptr<platform::TokenCache> cache,
              std::shared_ptr<platform::Clock> clock, std::chrono::seconds margin, Logger log)
      : store_(std::move(store)),
        cache_(std::move(cache)),
        clock_(std::move(clock)),
        margin_(margin),
        log_(std::move(log)) {}

  Result<std::optional<SecretString>> load(const platform::SlotKey &key) override { return store_->load(key); }

  Result<void> save(const platform::SlotKey &key, const SecretString &record) override {
    if (auto removed = remove_entry(key); !removed) return removed;
    if (auto saved = store_->save(key, record); !saved) return saved;
    auto parsed = parse_session_record(record, key);
    if (!parsed) return {};  // the core wrote it; nothing to cache from a record it cannot read back
    const auto ttl = cache_ttl(parsed->session, margin_, clock_->now());
    if (!ttl) return {};
    if (auto put = cache_->put(key, cache_entry(key, parsed->session), *ttl); !put) {
      log_.warning("the access token was stored, but not cached: " + put.error().message);
    }
    return {};
  }

  Result<void> erase(const platform::SlotKey &key) override {
    if (auto removed = remove_entry(key); !removed) return removed;
    return store_->erase(key);
  }

  Result<std::vector<platform::SlotKey>> list(const std::string &issuer) override { return store_->list(issuer); }

 private:
  /// The entry must go before the slot changes: else a signed-out or rejected token could be read back.
  Result<void> remove_entry(const platform::SlotKey &key) {
    auto removed = cache_->remove(key);
    if (removed) return {};
    Error e = std::move(removed).error();
    e.message = "the cached access token could not be removed, so the slot was left as it was: " + e.message +
                " (NATIVEAUTH_NO_KEYRING_CACHE=1 stops using the cache; `keyctl show @u` lists what is there)";
    return e;
  }

  std::shared_ptr<platform::CredentialStore> store_;
  std::shared_ptr<platform::TokenCache> cache_;
  std::shared_ptr<platform::Clock> clock_;
  std::chrono::seconds margin_;
  Logger log_;
};

}  // namespace

SecretString cache_entry(const platform::SlotKey &key, const Session &session) {
  Json j = {{"v", kCacheEntryVersion},
            {"issuer", key.issuer},
            {"client_id", key.client_id},
            {"profile", key.profile},
            {"token_type", session.token_type.empty() ? "Bearer" : session.token_type},
            {"access_token", std::string(session.access_token.reveal())},
            {"scopes", session.scopes}};
  if (session.access_token_expiry) {
    j["expires_at"] = epoch_seconds(*session.access_token_expiry);
    if (*session.access_token_expiry > session.issued_at) {
      j["lifetime"] =
          std::chrono::duration_cast<std::chrono::seconds>(*session.access_token_expiry - session.issued_at).count();
    }
  }
  std::string text = j.dump();
  wipe_json(j);
  return SecretString(std::move(text));
}

std::optional<CachedToken> parse_cache_entry(const SecretString &entry, const platform::SlotKey &key) {
  auto j = parse_object(entry.reveal());
  if (!j) return std::nullopt;
  struct Wipe {
    Json &j;
    ~Wipe() { wipe_json(j); }
  } wipe_after{*j};
  if (get_int(*j, "v") != kCacheEntryVersion || get_string(*j, "issuer") != key.issuer ||
      get_string(*j, "client_id") != key.client_id || get_string(*j, "profile") != key.profile) {
    return std::nullopt;
  }
  const auto expires = get_int(*j, "expires_at");
  const auto type = get_string(*j, "token_type");
  CachedToken out;
  out.token.value = take_secret(*j, "access_token");
  if (out.token.value.empty() || !expires || *expires < 0 || *expires > 253'402'300'799 || !type) return std::nullopt;
  out.token.token_type = *type;
  out.token.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(*expires));
  out.token.scopes = get_strings(*j, "scopes");
  if (const auto lifetime = get_int(*j, "lifetime"); lifetime && *lifetime > 0) {
    out.lifetime = std::chrono::seconds(*lifetime);
  }
  return out;
}

std::optional<std::chrono::seconds> cache_ttl(const Session &session, std::chrono::seconds margin,
                                              std::chrono::system_clock::time_point now) {
  if (session.access_token.empty() || !session.access_token_expiry) return std::nullopt;
  const auto expiry = *session.access_token_expiry;
  if (expiry > session.issued_at) {
    margin = std::min(margin, std::chrono::duration_cast<std::chrono::seconds>(expiry - session.issued_at) / 2);
  }
  const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(expiry - now) - margin;
  if (ttl < std::chrono::seconds(1)) return std::nullopt;
  return ttl;
}

std::shared_ptr<platform::CredentialStore> keep_cache_in_step(std::shared_ptr<platform::CredentialStore> store,
                                                              std::shared_ptr<platform::TokenCache> cache,
                                                              std::shared_ptr<platform::Clock> clock,
                                                              std::chrono::seconds margin, Logger log) {
  return std::make_shared<InStepStore>(std::move(store), std::move(cache), std::move(clock), margin, std::move(log));
}

}  // namespace nativeauth::core

namespace nativeauth {

std::optional<AccessToken> Client::Impl::cached_token(const Freshness &want) {
  if (!platform.token_cache) return std::nullopt;
  const platform::SlotKey key = slot();
  auto entry = platform.token_cache->get(key);
  if (!entry) {
    log.debug("the token cache could not be read, so the store is: " + entry.error().message);
    return std::nullopt;
  }
  if (!entry->has_value()) return std::nullopt;
  auto cached = core::parse_cache_entry(**entry, key);
  if (!cached) return std::nullopt;
  SessionState state;
  state.token = std::move(cached->token);
  state.lifetime = cached->lifetime;
  if (!fresh_enough(state, platform.clock->now(), platform.clock->steady_now(), want)) return std::nullopt;
  return std::move(state.token);
}

}  // namespace nativeauth
