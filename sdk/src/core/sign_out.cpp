// SPDX-License-Identifier: Apache-2.0
// sign_out(): revoke (RFC 7009), erase the slot, end the provider session in the browser (OpenID Connect
// RP-Initiated Logout 1.0). Local state goes whatever a remote step says; remote failures are reported.
// Not here: the listener's HTTP and pages (loopback/http.hpp), the end of a session the provider decided
// (refresh.cpp).
#include "core/client_impl.hpp"

#include "core/token_endpoint.hpp"
#include "core/url.hpp"
#include "loopback/http.hpp"

namespace nativeauth {

Result<SignOutReport> Client::sign_out(const SignOutOptions &opts) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  Impl &impl = *impl_;
  try {
    SignOutReport report;
    const platform::SlotKey own = impl.slot();
    std::vector<platform::SlotKey> slots{own};
    if (opts.all_apps) {
      auto all = impl.platform.store->list(impl.options.issuer);
      if (!all) return std::move(all).error();
      for (const auto &k : *all)
        if (!(k == own)) slots.push_back(k);
    }

    std::shared_ptr<const oidc::ProviderMetadata> md;
    if (!opts.local_only) {
      auto found = oidc::discover(*impl.platform.http, impl.options.issuer, impl.log);
      if (found) {
        md = *found;
      } else {
        Error e = std::move(found).error();
        e.message = "could not reach the provider to revoke or end the session: " + e.message;
        report.problems.push_back(std::move(e));
      }
    }

    // This app's slot first: if it cannot be erased, nothing has changed and the error is the answer.
    Impl::SignedOut own_erased;
    if (auto erased = impl.revoke_and_erase(own, md.get(), report, &own_erased); !erased) {
      return std::move(erased).error();
    }
    std::shared_ptr<const SessionState> had;
    {
      std::lock_guard<std::mutex> lock(impl.state_mutex);
      had = impl.current;
    }
    if (had && own_erased.subject.empty()) own_erased.subject = had->record.session.claims.subject();
    impl.publish(nullptr);  // before anything else can fail: no token of an erased slot stays in memory
    PendingEvents events{impl.event(SessionEventKind::signed_out, own_erased.subject)};
    // The other apps' slots: one that cannot be erased (locked, unreadable) is reported, not fatal.
    for (std::size_t i = 1; i < slots.size(); ++i) {
      if (auto erased = impl.revoke_and_erase(slots[i], md.get(), report, nullptr); !erased) {
        Error e = std::move(erased).error();
        e.message = "could not sign out " + slots[i].client_id + " (profile " + slots[i].profile + "): " + e.message;
        report.problems.push_back(std::move(e));
      }
    }
    impl.log.info("signed out locally (" + std::to_string(report.slots_erased) + " slot(s) erased, " +
                  std::to_string(report.tokens_revoked) + " refresh token(s) revoked)");

    if (!opts.local_only && opts.end_provider_session && md && !md->end_session_endpoint.empty()) {
      auto ended = impl.end_provider_session(*md, opts);
      if (ended) {
        report.provider_session_ended = true;
      } else {
        report.problems.push_back(std::move(ended).error());
      }
    }
    impl.emit(events);
    return report;
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("unexpected failure during sign-out: ") + e.what());
  }
}

Result<void> Client::Impl::revoke_and_erase(const platform::SlotKey &key, const oidc::ProviderMetadata *md,
                                            SignOutReport &report, SignedOut *erased_own) {
  // Under the slot lock: a refresh in flight finishes first, and none can write the slot back after.
  auto held = platform.locks->acquire(key, lock_timeout);
  if (!held) return std::move(held).error();
  auto loaded = platform.store->load(key);
  if (!loaded) return std::move(loaded).error();
  if (!loaded->has_value()) return {};
  auto parsed = core::parse_session_record(**loaded, key);
  if (parsed && md && !md->revocation_endpoint.empty() && !parsed->session.refresh_token.empty()) {
    core::Params form = {{"token", std::string(parsed->session.refresh_token.reveal())},
                         {"token_type_hint", "refresh_token"}};
    // Each app revokes with its own client_id (RFC 7009 §2.1: the token's client).
    const SecretString no_secret;
    auto request = core::make_token_request(md->revocation_endpoint, std::move(form), key.client_id,
                                            erased_own ? options.client_secret : no_secret);
    auto response = platform.http->send(request);
    if (response && response->status == 200) {
      ++report.tokens_revoked;
    } else {
      Error e = response ? core::oauth_error_from_response(*response, ErrorCode::token_error, "revocation")
                         : std::move(response).error();
      e.message = "could not revoke the refresh token of " + key.client_id + ": " + e.message;
      report.problems.push_back(std::move(e));
    }
  }
  auto erased = platform.store->erase(key);
  if (!erased) return std::move(erased).error();
  ++report.slots_erased;
  // The key goes with the session (a TPM or CNG object included); another app's slot's key too.
  if (parsed && parsed->session.dpop) discard_key(*parsed->session.dpop, key);
  if (erased_own && parsed) erased_own->subject = parsed->session.claims.subject();
  return {};
}

// OIDC RP-Initiated Logout 1.0 §2: client_id stands in for id_token_hint. The ID token never goes into
// the URL: that URL is in the browser's argv (readable by other local users), its history, and on the
// screen when no browser opens. The price: providers ask the user to confirm a logout without the hint.
Result<void> Client::Impl::end_provider_session(const oidc::ProviderMetadata &md, const SignOutOptions &opts) {
  auto state = core::random_token();
  if (!state) return std::move(state).error();
  core::Params params = {{"client_id", options.client_id}};
  if (post_logout.kind == core::RedirectTarget::Kind::app) return end_session_through_app(md, params, *state, opts);
  if (!platform.loopback) {
    // No loopback listener (a host app supplies the browser) and no app-handled post-logout URI: the
    // end-session page is opened without a post_logout_redirect_uri, so its completion cannot be observed.
    const std::string url = core::append_query(md.end_session_endpoint, params);
    return show_url(url, opts.open_browser, opts.on_logout_url, "end the provider session");
  }
  return end_session_through_loopback(md, params, *state, opts);
}

Result<void> Client::Impl::end_session_through_loopback(const oidc::ProviderMetadata &md, core::Params params,
                                                        const std::string &state, const SignOutOptions &opts) {
  // As for sign-in: a fixed port when one is configured, because a provider that matches registered
  // post_logout_redirect_uris exactly (§2: "MUST have been previously registered") refuses any other.
  platform::LoopbackListenerOptions lo;
  lo.port = post_logout.port;
  lo.ipv4 = !post_logout.ipv6_host;
  lo.ipv6 = post_logout.ipv6_host || options.redirect.ipv6;
  auto listener = platform.loopback->listen(lo);
  if (!listener) return std::move(listener).error();
  const std::string back = std::string(post_logout.ipv6_host ? "http://[::1]:" : "http://127.0.0.1:") +
                           std::to_string((*listener)->port()) + post_logout.path;
  params.emplace_back("post_logout_redirect_uri", back);
  params.emplace_back("state", state);
  const std::string url = core::append_query(md.end_session_endpoint, params);
  log.debug("ending the provider session: " + core::redact_url(url));
  ListenerScope registered(*this, listener->get());
  if (auto shown = show_url(url, opts.open_browser, opts.on_logout_url, "end the provider session"); !shown) {
    return std::move(shown).error();
  }
  const auto handler = [&](std::string_view head) -> platform::HandlerOutcome {
    platform::HandlerOutcome out;
    const auto cb = core::classify_callback(head, post_logout.path, state);
    if (cb.verdict != core::CallbackVerdict::matched) {
      out.reply.status = cb.verdict == core::CallbackVerdict::not_found ? 404 : 400;
      out.reply.body = "This request is not the sign-out response.\n";
      return out;
    }
    out.done = true;
    out.reply.status = 200;
    out.reply.content_type = "text/html; charset=utf-8";
    out.reply.body = loopback::signed_out_page();
    return out;
  };
  auto served = (*listener)->serve(handler, std::chrono::steady_clock::now() + opts.timeout);
  if (!served) {
    Error e = std::move(served).error();
    e.message = "the provider sign-out page did not come back to " + back + ": " + e.message;
    return e;
  }
  return {};
}

Result<void> Client::Impl::end_session_through_app(const oidc::ProviderMetadata &md, core::Params params,
                                                   const std::string &state, const SignOutOptions &opts) {
  // The post-logout redirect reaches the app like a sign-in's (RFC 8252 §7.1, §7.2): handed to
  // handle_redirect() here, or forwarded by a second instance the OS started.
  std::unique_ptr<platform::RedirectEndpoint> endpoint;
  if (platform.relay) {
    auto listening = platform.relay->listen(slot(), [this](std::string_view u) { return deliver_redirect(u); });
    if (!listening) return std::move(listening).error();
    endpoint = std::move(*listening);
  }
  params.emplace_back("post_logout_redirect_uri", post_logout.uri);
  params.emplace_back("state", state);
  const std::string url = core::append_query(md.end_session_endpoint, params);
  log.debug("ending the provider session: " + core::redact_url(url));
  cancel_requested = false;
  if (auto shown = show_url(url, opts.open_browser, opts.on_logout_url, "end the provider session"); !shown) {
    return std::move(shown).error();
  }
  log.info("waiting for the app to hand over the post-logout redirect to " + post_logout.uri);
  auto back = await_app_redirect(post_logout.uri, state, std::chrono::steady_clock::now() + opts.timeout);
  if (!back) {
    Error e = std::move(back).error();
    e.message = "the provider sign-out page did not come back to " + post_logout.uri + ": " + e.message;
    return e;
  }
  return {};
}

}  // namespace nativeauth
