// SPDX-License-Identifier: Apache-2.0
// SessionController::call_api(): the access token from the SDK (refreshed when due, on a worker), then
// the provider's userinfo endpoint with QNetworkAccessManager on the UI thread, as an app calls its API.
#include "session_controller.hpp"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <memory>

namespace qtsample {

void SessionController::call_api() {
  if (state_ != State::signed_in) return;
  emit status("Calling the provider's userinfo API…");
  run_worker([this] {
    // access_token() may refresh (network, the slot lock, the keychain): never on the UI thread.
    auto token = client_.access_token();
    if (!token) {
      const QString why = describe(token.error());
      post([this, why] {
        emit status("Call API: no access token: " + why);
        emit api_finished(0, why);
      });
      return;
    }
    auto held = std::make_shared<nativeauth::AccessToken>(std::move(*token));
    post([this, held] { fetch_userinfo_endpoint([this, held] { send_userinfo(held); }); });
  });
}

void SessionController::fetch_userinfo_endpoint(std::function<void()> then) {
  if (userinfo_endpoint_.isValid()) {
    then();
    return;
  }
  const QUrl discovery(QString::fromStdString(client_.issuer()) + "/.well-known/openid-configuration");
  QNetworkReply *reply = network_.get(QNetworkRequest(discovery));
  connect(reply, &QNetworkReply::finished, this, [this, reply, then = std::move(then)] {
    reply->deleteLater();
    const QJsonObject doc = QJsonDocument::fromJson(reply->readAll()).object();
    const QUrl endpoint(doc.value("userinfo_endpoint").toString());
    if (reply->error() != QNetworkReply::NoError || !endpoint.isValid() || endpoint.isRelative()) {
      emit status("Call API: the provider's discovery document names no userinfo endpoint");
      emit api_finished(0, "no userinfo endpoint");
      return;
    }
    userinfo_endpoint_ = endpoint;
    then();
  });
}

void SessionController::send_userinfo(const std::shared_ptr<nativeauth::AccessToken> &token) {
  QNetworkRequest request(userinfo_endpoint_);
  // RFC 6750 §2.1. QNetworkRequest keeps its own copy of the header until the reply is gone; Qt gives no
  // way to wipe it. The SDK's SecretString in `token` is wiped when the last reference drops.
  QByteArray authorization = QByteArray::fromStdString(token->token_type) + ' ';
  authorization.append(token->value.reveal().data(), static_cast<qsizetype>(token->value.reveal().size()));
  request.setRawHeader("Authorization", authorization);
  nativeauth::secure_wipe(authorization.data(), static_cast<std::size_t>(authorization.size()));
  request.setTransferTimeout(30'000);
  QNetworkReply *reply = network_.get(request);
  connect(reply, &QNetworkReply::finished, this, [this, reply, token] {
    reply->deleteLater();
    const int http = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
    QString summary;
    if (http == 200) {
      summary = QString("HTTP 200: %1 (sub %2)").arg(body.value("name").toString(), body.value("sub").toString());
    } else if (http == 401) {
      // RFC 6750 §3.1: the API refused a token that had not expired (revoked, say). Forget it, so the
      // next call refreshes instead of sending it again.
      summary = "HTTP 401: the API refused the token; the next call gets a new one";
      run_worker([this, token] { (void)client_.reject_access_token(token->value); });
    } else {
      summary = http ? QString("HTTP %1").arg(http) : "no answer: " + reply->errorString();
    }
    emit status("Call API: " + summary);
    emit api_finished(http, summary);
  });
}

}  // namespace qtsample
