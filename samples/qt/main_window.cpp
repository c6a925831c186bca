// SPDX-License-Identifier: Apache-2.0
// The Qt sample's window: layout, enabling buttons by state, and the lifetime countdown.
#include "main_window.hpp"

#include <QDateTime>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QVBoxLayout>

namespace qtsample {
namespace {

QLabel *plain_label(const QString &name, QWidget *parent) {
  auto *label = new QLabel(parent);
  label->setObjectName(name);
  // What the provider says (a name) is shown as text, never interpreted as rich text.
  label->setTextFormat(Qt::PlainText);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  return label;
}

QPushButton *button(const QString &name, const QString &text, QWidget *parent) {
  auto *b = new QPushButton(text, parent);
  b->setObjectName(name);
  return b;
}

QString lifetime_text(std::optional<std::int64_t> left) {
  if (!left) return "—";
  if (*left <= 0) return "expired (renewed on the next use)";
  const std::int64_t minutes = *left / 60, seconds = *left % 60;
  return minutes ? QString("%1 min %2 s left").arg(minutes).arg(seconds) : QString("%1 s left").arg(seconds);
}

QString state_text(SessionController::State state) {
  switch (state) {
    case SessionController::State::signed_out: return "Signed out";
    case SessionController::State::signing_in: return "Signing in…";
    case SessionController::State::signed_in: return "Signed in";
    case SessionController::State::signing_out: return "Signing out…";
  }
  return {};
}

}  // namespace

MainWindow::MainWindow(SessionController &controller, QWidget *parent) : QWidget(parent), controller_(controller) {
  setWindowTitle("nativeauth Qt sample");
  state_ = plain_label("state", this);
  name_ = plain_label("name", this);
  lifetime_ = plain_label("lifetime", this);
  sign_in_ = button("sign_in", "Sign in", this);
  cancel_ = button("cancel", "Cancel", this);
  call_api_ = button("call_api", "Call API", this);
  sign_out_ = button("sign_out", "Sign out", this);
  sign_out_all_ = button("sign_out_all", "Sign out of all apps", this);
  status_ = new QPlainTextEdit(this);
  status_->setObjectName("status");
  status_->setReadOnly(true);
  status_->setMaximumBlockCount(200);

  auto *form = new QFormLayout;
  form->addRow("State:", state_);
  form->addRow("User:", name_);
  form->addRow("Access token:", lifetime_);
  auto *buttons = new QHBoxLayout;
  for (QPushButton *b : {sign_in_, cancel_, call_api_, sign_out_, sign_out_all_}) buttons->addWidget(b);
  auto *layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(status_);
  resize(620, 320);

  connect(sign_in_, &QPushButton::clicked, &controller_, &SessionController::sign_in);
  connect(cancel_, &QPushButton::clicked, &controller_, &SessionController::cancel);
  connect(call_api_, &QPushButton::clicked, &controller_, &SessionController::call_api);
  connect(sign_out_, &QPushButton::clicked, &controller_, &SessionController::sign_out);
  connect(sign_out_all_, &QPushButton::clicked, &controller_, &SessionController::sign_out_all_apps);
  connect(&controller_, &SessionController::state_changed, this, &MainWindow::update_buttons);
  connect(&controller_, &SessionController::session_changed, this, &MainWindow::update_session);
  connect(&controller_, &SessionController::status, this, &MainWindow::append_status);
  countdown_.setInterval(1000);
  connect(&countdown_, &QTimer::timeout, this,
          [this] { lifetime_->setText(lifetime_text(controller_.seconds_left())); });
  countdown_.start();
  update_buttons(controller_.state());
  update_session();
}

void MainWindow::update_buttons(SessionController::State state) {
  using State = SessionController::State;
  state_->setText(state_text(state));
  sign_in_->setEnabled(state == State::signed_out);
  // Cancel ends a sign-in, or a sign-out's wait for the browser.
  cancel_->setEnabled(state == State::signing_in || state == State::signing_out);
  call_api_->setEnabled(state == State::signed_in);
  sign_out_->setEnabled(state == State::signed_in);
  sign_out_all_->setEnabled(state == State::signed_in || state == State::signed_out);
}

void MainWindow::update_session() {
  const auto &session = controller_.session();
  name_->setText(session ? session->name : QString());
  lifetime_->setText(lifetime_text(controller_.seconds_left()));
}

void MainWindow::append_status(const QString &line) {
  status_->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss.zzz  ") + line);
}

}  // namespace qtsample
